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
    // Rows are collected in pooled chunks of this size (so that a user's next open finds them resident), then
    // copied once into the exact array the spans keep. Why not one growing buffer: a page touched for the first
    // time is dear (docs/PERFORMANCE.md), and doubling a buffer for a big trace faulted in about three times the
    // rows' size per open once the pool had let the big arrays go. The pool is our own, not the shared one, so
    // that the host's deep idle trim can let the chunks go (ReleasePooledChunks): the shared pool keeps an
    // array for a minute after its last use, past the trim.
    private const int ChunkBytes = 1024 * 1024;
    private const int PooledChunks = 32;
    private static ArrayPool<byte> s_chunkPool = NewChunkPool();
    private static ReadOnlySpan<byte> Whitespace => " \t\r\n"u8;

    private readonly ArrayPool<byte> _pool = Volatile.Read(ref s_chunkPool);
    private readonly List<byte[]> _chunks = [];
    private int _chunkUsed;
    private long _rowBytes;
    private readonly List<Row> _rows = [];
    private bool _unusable;
    // Rows joined in place ('[' and the commas included) in an array sized by the trace's announced size; null
    // once a row did not fit (the rows then move to chunks) or when no size was announced.
    private byte[]? _joined;
    private int _joinedLength;

    /// <summary>
    /// A row's place (in chunk <c>Chunk</c>, or in the joined array when -1), and where its value starts and ends
    /// within it (whitespace trimmed).
    /// </summary>
    private readonly record struct Row(int Chunk, int Offset, int Length, int Leading, int Trimmed);

    /// <summary>Rows of unknown total size: collected in chunks, copied once into the array the spans keep.</summary>
    public SpanRows()
    {
    }

    /// <summary>
    /// Rows whose total size the trace announces: MLflow's <c>mlflow.trace.sizeStats</c> metadata
    /// (<c>total_size_bytes</c>, the size of the trace's JSON, and <c>num_spans</c>). The rows are then written
    /// straight into one array, which the spans keep: no chunks and no copy, so opening a big trace touches half
    /// the fresh memory. The rows can be a few per cent larger than the trace's JSON (the recorded 500-span trace:
    /// 469,188 bytes of rows, 443,277 announced), so a quarter more is reserved: pages never written are never
    /// touched. Rows that still do not fit move to chunks.
    /// </summary>
    public SpanRows(long announcedBytes, int announcedRows)
    {
        if (announcedBytes <= 0 || announcedBytes > MaxAnnouncedBytes || announcedRows < 0) return; // not believed: chunks
        var size = announcedBytes + announcedBytes / 4 + Math.Max(0, announcedRows - 1) + 2L;
        if (size > Array.MaxLength) return;
        _joined = GC.AllocateUninitializedArray<byte>((int)size);
        _joined[0] = (byte)'[';
        _joinedLength = 1;
    }

    // An announcement is metadata anyone can write: above this, the rows are collected in chunks as they come.
    private const long MaxAnnouncedBytes = 1L << 30;

    public int Count => _rows.Count;

    /// <summary>Appends one row's UTF-8 text.</summary>
    public void Add(ReadOnlySpan<byte> utf8)
    {
        if (!System.Text.Unicode.Utf8.IsValid(utf8)) _unusable = true; // the one-by-one path decodes it like before (U+FFFD)
        var leading = utf8.Length - utf8.TrimStart(Whitespace).Length;
        var trimmed = utf8.Trim(Whitespace).Length;
        if (_joined != null)
        {
            var comma = _rows.Count > 0 ? 1 : 0;
            if (_joinedLength + comma + utf8.Length + 1 <= _joined.Length) // and room for the closing ']'
            {
                if (comma == 1) _joined[_joinedLength++] = (byte)',';
                utf8.CopyTo(_joined.AsSpan(_joinedLength));
                _rows.Add(new Row(-1, _joinedLength, utf8.Length, leading, trimmed));
                _joinedLength += utf8.Length;
                _rowBytes += utf8.Length;
                return;
            }
            MoveJoinedRowsToChunks();
        }
        _rows.Add(AppendToChunk(utf8, leading, trimmed));
        _rowBytes += utf8.Length;
    }

    private Row AppendToChunk(ReadOnlySpan<byte> utf8, int leading, int trimmed)
    {
        if (_chunks.Count == 0 || _chunks[^1].Length - _chunkUsed < utf8.Length)
        {
            _chunks.Add(_pool.Rent(Math.Max(ChunkBytes, utf8.Length))); // a longer row gets an array of its own
            _chunkUsed = 0;
        }
        utf8.CopyTo(_chunks[^1].AsSpan(_chunkUsed));
        var row = new Row(_chunks.Count - 1, _chunkUsed, utf8.Length, leading, trimmed);
        _chunkUsed += utf8.Length;
        return row;
    }

    /// <summary>The announcement was too small: the rows so far go to chunks, and so will the rest.</summary>
    private void MoveJoinedRowsToChunks()
    {
        var joined = _joined!;
        _joined = null;
        for (var i = 0; i < _rows.Count; i++)
        {
            var row = _rows[i];
            _rows[i] = AppendToChunk(joined.AsSpan(row.Offset, row.Length), row.Leading, row.Trimmed);
        }
    }

    /// <summary>The rows' spans in row order, or false when the rows must be decoded one by one.</summary>
    /// <exception cref="Backends.BackendException">BadResponse: a row is JSON but not a span (as the one-by-one decode would say).</exception>
    public bool TryDecode(out IReadOnlyList<RawSpan> spans)
    {
        spans = [];
        if (_unusable) return false;
        if (_joined is null) return TryDecodeChunks(out spans);
        var rows = ArrayPool<(int Start, int Length)>.Shared.Rent(_rows.Count);
        try
        {
            for (var i = 0; i < _rows.Count; i++)
            {
                var row = _rows[i];
                rows[i] = (row.Offset + row.Leading, row.Trimmed);
            }
            // The spans keep our array, unless it is more than twice the rows (a wrong announcement): then an exact copy,
            // so that a wrong announcement does not stay allocated with them (offsets are the same in the copy).
            var used = _joinedLength + 1;
            _joined[_joinedLength] = (byte)']';
            ReadOnlyMemory<byte> joined = used >= _joined.Length / 2 ? _joined.AsMemory(0, used) : _joined.AsSpan(0, used).ToArray();
            return TryDecode(joined, rows.AsSpan(0, _rows.Count), out spans);
        }
        finally
        {
            ArrayPool<(int Start, int Length)>.Shared.Return(rows);
        }
    }

    private bool TryDecodeChunks(out IReadOnlyList<RawSpan> spans)
    {
        // '[' + the rows with a ',' between each two + ']', in the one array the spans keep.
        var size = _rowBytes + Math.Max(0, _rows.Count - 1) + 2;
        if (size > Array.MaxLength)
            throw Backends.BackendException.BadResponse($"The trace's {_rows.Count} span rows ({_rowBytes:N0} bytes) are too large to read at once.");
        var joined = GC.AllocateUninitializedArray<byte>((int)size);
        var rows = ArrayPool<(int Start, int Length)>.Shared.Rent(_rows.Count);
        try
        {
            joined[0] = (byte)'[';
            var at = 1;
            for (var i = 0; i < _rows.Count; i++)
            {
                var row = _rows[i];
                if (i > 0) joined[at++] = (byte)',';
                _chunks[row.Chunk].AsSpan(row.Offset, row.Length).CopyTo(joined.AsSpan(at));
                rows[i] = (at + row.Leading, row.Trimmed);
                at += row.Length;
            }
            joined[at] = (byte)']';
            return TryDecode(joined, rows.AsSpan(0, _rows.Count), out spans);
        }
        finally
        {
            ArrayPool<(int Start, int Length)>.Shared.Return(rows);
        }
    }

    private static bool TryDecode(ReadOnlyMemory<byte> joined, ReadOnlySpan<(int Start, int Length)> rows, out IReadOnlyList<RawSpan> spans)
    {
        try
        {
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

    /// <summary>Lets the chunks kept for the next trace go (the host's deep idle trim); rows being read return theirs to the old pool.</summary>
    public static void ReleasePooledChunks() => Volatile.Write(ref s_chunkPool, NewChunkPool());

    private static ArrayPool<byte> NewChunkPool() => ArrayPool<byte>.Create(ChunkBytes, PooledChunks);

    public void Dispose()
    {
        foreach (var chunk in _chunks) _pool.Return(chunk);
        _chunks.Clear();
    }
}
