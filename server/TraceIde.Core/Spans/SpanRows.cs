using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace TraceIde.Core.Spans;

/// <summary>
/// The spans of one trace stored one JSON document per row (the store's <c>spans.content</c>), decoded
/// in one pass: the rows are joined as <c>[row0,row1,…]</c> into one array the spans keep, and read once.
/// </summary>
/// <remarks>
/// Why: a document per span meant 20,000 small documents for a big trace, all alive as long as its
/// spans, and the garbage collector copying them tripled the cost of reading the trace. The join is
/// only taken when it is exactly the rows: every row valid UTF-8, the joined array is valid JSON, and each
/// element starts and ends where its row does (so a row like <c>1,2</c> or <c>{"a":[1</c> cannot
/// pass as something else). Otherwise <see cref="TryDecode"/> returns false and the caller decodes the
/// rows one by one, which reports the bad row exactly as before.
/// </remarks>
public sealed class SpanRows : IDisposable
{
    private byte[] _buffer;
    private bool _pooled; // else _buffer is exactly the array the spans will keep
    private int _length = 1;
    private readonly List<(int Start, int Length)> _rows;
    private bool _unusable;

    /// <summary>Rows of unknown total size: joined in a pooled buffer that grows, copied once at the end.</summary>
    public SpanRows()
    {
        _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        _pooled = true;
        _rows = [];
        _buffer[0] = (byte)'[';
    }

    /// <summary>
    /// <paramref name="rowCount"/> rows of <paramref name="rowBytes"/> UTF-8 bytes in all (as a first pass over them
    /// counted): joined in place in the array the spans keep. Why: on this kind of machine a page touched for the first
    /// time costs ~20 µs, and the growing buffer (twice the rows' size, then the copy) made the first open of a
    /// 20,000-span trace fault in ~30 MB, ~100 ms. Rows that turn out bigger (a writer between the passes) still fit:
    /// the buffer then moves to the pool and grows.
    /// </summary>
    public SpanRows(long rowBytes, int rowCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rowBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(rowCount);
        // '[' + rows + a ',' between each two + ']'
        var size = Math.Max(2L, rowBytes + rowCount + 1);
        if (size > Array.MaxLength) throw new OutOfMemoryException($"The trace's {rowCount} span rows ({rowBytes} bytes) do not fit in one array.");
        _buffer = GC.AllocateUninitializedArray<byte>((int)size);
        _rows = new(rowCount);
        _buffer[0] = (byte)'[';
    }

    public int Count => _rows.Count;

    /// <summary>Appends one row's UTF-8 text.</summary>
    public void Add(ReadOnlySpan<byte> utf8)
    {
        if (!System.Text.Unicode.Utf8.IsValid(utf8)) _unusable = true; // the one-by-one path decodes it like before (U+FFFD)
        var trimmed = utf8.Trim(" \t\r\n"u8);
        var comma = _rows.Count > 0 ? 1 : 0;
        Ensure(_length + comma + utf8.Length + 1); // and the closing ']'
        if (comma == 1) _buffer[_length++] = (byte)',';
        var start = _length + (utf8.Length - utf8.TrimStart(" \t\r\n"u8).Length);
        utf8.CopyTo(_buffer.AsSpan(_length));
        _length += utf8.Length;
        _rows.Add((start, trimmed.Length));
    }

    /// <summary>The rows' spans in row order, or false when the rows must be decoded one by one.</summary>
    /// <exception cref="Backends.BackendException">BadResponse: a row is JSON but not a span (as the one-by-one decode would say).</exception>
    public bool TryDecode(out IReadOnlyList<RawSpan> spans)
    {
        spans = [];
        if (_unusable) return false;
        Ensure(_length + 1);
        _buffer[_length] = (byte)']';
        // The spans keep an exact array: ours when it was sized for the rows, else one copy (the pooled buffer goes back).
        ReadOnlyMemory<byte> joined = !_pooled && _length + 1 == _buffer.Length ? _buffer : _buffer.AsSpan(0, _length + 1).ToArray();
        var rows = CollectionsMarshal.AsSpan(_rows);
        try
        {
            // Offsets in the copy equal offsets in _buffer: the copy starts at our '['.
            if (SpanDecoder.DecodeRowArray(joined, rows) is { } decoded)
            {
                spans = decoded;
                return true;
            }
        }
        catch (Exception ex) when (ex is JsonException or Backends.BackendException or InvalidOperationException)
        {
            // Below: whether the join itself is to blame decides between false and the error.
        }
        return TryDecodeAsDocument(joined, rows, out spans);
    }

    /// <summary>
    /// The rare case (a row that is not one span, or not one value): a document of the joined rows says whether
    /// they are exactly one value each (else false), and then decodes them, failing on the first that is no span.
    /// </summary>
    private static bool TryDecodeAsDocument(ReadOnlyMemory<byte> joined, ReadOnlySpan<(int Start, int Length)> rows, out IReadOnlyList<RawSpan> spans)
    {
        spans = [];
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(joined);
        }
        catch (JsonException)
        {
            return false;
        }
        using (doc)
        {
            var array = doc.RootElement;
            if (array.GetArrayLength() != rows.Length) return false;
            var origin = JsonMarshal.GetRawUtf8Value(array);
            var i = 0;
            foreach (var element in array.EnumerateArray())
            {
                var raw = JsonMarshal.GetRawUtf8Value(element);
                var offset = (int)Unsafe.ByteOffset(ref MemoryMarshal.GetReference(origin), ref MemoryMarshal.GetReference(raw));
                if (offset != rows[i].Start || raw.Length != rows[i].Length) return false;
                i++;
            }
            spans = SpanDecoder.DecodeSpanArray(joined);
            return true;
        }
    }

    private void Ensure(int size)
    {
        if (size <= _buffer.Length) return;
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(size, _buffer.Length * 2));
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        if (_pooled) ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
        _pooled = true;
    }

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        if (_pooled && buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
    }
}
