using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace TraceIde.Core.Spans;

/// <summary>
/// The spans of one trace stored one JSON document per row (the store's <c>spans.content</c>), decoded
/// with one parse: the rows are joined as <c>[row0,row1,…]</c> and parsed into one standalone document.
/// </summary>
/// <remarks>
/// Why: a document per span meant 20,000 small documents for a big trace, all alive as long as its
/// spans, and the garbage collector copying them tripled the cost of reading the trace. The join is
/// only taken when it is exactly the rows: every row valid UTF-8, the joined array parses, and each
/// element starts and ends where its row does (so a row like <c>1,2</c> or <c>{"a":[1</c> cannot
/// pass as something else). Otherwise <see cref="TryDecode"/> returns false and the caller decodes the
/// rows one by one, which reports the bad row exactly as before.
/// </remarks>
public sealed class SpanRows : IDisposable
{
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
    private int _length = 1;
    private readonly List<(int Start, int Length)> _rows = [];
    private bool _unusable;

    public SpanRows() => _buffer[0] = (byte)'[';

    public int Count => _rows.Count;

    /// <summary>Appends one row's UTF-8 text.</summary>
    public void Add(ReadOnlySpan<byte> utf8)
    {
        if (!System.Text.Unicode.Utf8.IsValid(utf8)) _unusable = true; // the one-by-one path decodes it like before (U+FFFD)
        var trimmed = utf8.Trim(" \t\r\n"u8);
        Ensure(_length + utf8.Length + 2);
        if (_rows.Count > 0) _buffer[_length++] = (byte)',';
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
        JsonDocument doc;
        try
        {
            // One exact copy that the document keeps (the spans reference it). The document is never
            // disposed: its pooled metadata goes to the garbage collector with the spans, not back to the pool.
            doc = JsonDocument.Parse(_buffer.AsSpan(0, _length + 1).ToArray().AsMemory());
        }
        catch (JsonException)
        {
            return false;
        }
        var array = doc.RootElement;
        if (array.GetArrayLength() != _rows.Count) { doc.Dispose(); return false; }

        // Offsets in the copy equal offsets in _buffer: the copy starts at our '['.
        var origin = JsonMarshal.GetRawUtf8Value(array);
        var i = 0;
        foreach (var element in array.EnumerateArray())
        {
            var raw = JsonMarshal.GetRawUtf8Value(element);
            var offset = (int)Unsafe.ByteOffset(ref MemoryMarshal.GetReference(origin), ref MemoryMarshal.GetReference(raw));
            if (offset != _rows[i].Start || raw.Length != _rows[i].Length) { doc.Dispose(); return false; }
            i++;
        }
        spans = SpanDecoder.DecodeKeptArray(array);
        return true;
    }

    private void Ensure(int size)
    {
        if (size <= _buffer.Length) return;
        var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(size, _buffer.Length * 2));
        _buffer.AsSpan(0, _length).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }

    public void Dispose()
    {
        var buffer = _buffer;
        _buffer = [];
        if (buffer.Length > 0) ArrayPool<byte>.Shared.Return(buffer);
    }
}
