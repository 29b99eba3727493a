namespace TraceIde.Core.Spans;

/// <summary>
/// An append-only list kept in blocks of at most 4,096 items, so that no block of references lands on the
/// large-object heap (85,000 bytes and up).
/// </summary>
/// <remarks>
/// Why: an array on the large-object heap is freed only by a full (gen 2) collection, and until then the
/// cheaper collections treat every object it points to as alive. A big trace's spans in one array (a
/// <see cref="List{T}"/> of 10,000 spans has a 128 KB one) stayed alive that way after the trace was done
/// with, and each gen 0/gen 1 collection copied them again: several traces' spans at a time.
/// </remarks>
internal sealed class BlockList<T> : IReadOnlyList<T>
{
    private const int BlockShift = 12;
    private const int BlockSize = 1 << BlockShift; // 32 KB of references

    private T[][] _blocks = [new T[16]]; // the first block grows like a list's array, so small lists stay small
    private int _count;

    public int Count => _count;

    public T this[int index] =>
        (uint)index < (uint)_count ? _blocks[index >> BlockShift][index & (BlockSize - 1)] : throw new ArgumentOutOfRangeException(nameof(index));

    public void Add(T item)
    {
        var block = _count >> BlockShift;
        var at = _count & (BlockSize - 1);
        if (block == _blocks.Length) Array.Resize(ref _blocks, block * 2);
        var items = _blocks[block];
        if (items is null) _blocks[block] = items = new T[BlockSize];
        else if (at == items.Length) Array.Resize(ref _blocks[block], Math.Min(items.Length * 2, BlockSize));
        _blocks[block][at] = item;
        _count++;
    }

    public IEnumerator<T> GetEnumerator()
    {
        for (var i = 0; i < _count; i++) yield return _blocks[i >> BlockShift][i & (BlockSize - 1)];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
