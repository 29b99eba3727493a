using System.Text.Json;

namespace TraceIde.Core.Spans;

public static partial class SpanDecoder
{
    /// <summary>
    /// Decodes a traces.json document (<c>{"spans": [...]}</c>, the trace artifact) while its bytes arrive: each
    /// span is decoded as soon as its last byte is in, so what is left once the body has ended is the few spans
    /// of the last read. The result is the same as <see cref="DecodeTraceData(ReadOnlyMemory{byte}, string)"/>
    /// over the whole body — same spans, same errors: any other shape (a bare array, "spans" twice, text after
    /// the document) or any fault is left to that decode at <see cref="Complete"/>.
    /// </summary>
    /// <remarks>
    /// Not a head: the host answers <c>maxSpans</c> with the first spans in tree pre-order (children by start
    /// time), and a span arriving last may belong anywhere in that order, so the tree needs every span anyway.
    /// What streaming saves is the decode after the last byte. The spans keep slices of the body (no copy), so
    /// the body's bytes must not change once received: the caller appends only, and when it moves to a larger
    /// array it hands the same bytes over in the new one.
    /// </remarks>
    public sealed class TraceDataStream
    {
        private enum Stage { Start, Properties, Spans, End, Fallback }

        private readonly BlockList<RawSpan> _spans = new();
        private readonly SharedStrings _strings = new();
        private JsonReaderState _state = new(new JsonReaderOptions()); // a document's defaults: the same JSON is refused
        private Stage _stage = Stage.Start;
        private bool _sawSpans;
        private int _position; // the bytes before this are read

        /// <summary>How many spans are decoded so far.</summary>
        public int Decoded => _spans.Count;

        /// <summary>
        /// Decodes what <paramref name="received"/> (every byte of the body so far, from its first) completes.
        /// Never throws for the body's content: a problem only ends streaming, and <see cref="Complete"/> decides.
        /// </summary>
        public void Advance(ReadOnlyMemory<byte> received)
        {
            if (_stage is Stage.End or Stage.Fallback) return;
            try
            {
                Read(received, isFinalBlock: false);
            }
            catch (Exception e) when (e is JsonException or Backends.BackendException or InvalidOperationException or FormatException)
            {
                _stage = Stage.Fallback;
            }
        }

        /// <summary>The spans of the whole body <paramref name="utf8"/> (which the spans keep): as <see cref="DecodeTraceData(ReadOnlyMemory{byte}, string)"/>
        /// gives them.</summary>
        public IReadOnlyList<RawSpan> Complete(ReadOnlyMemory<byte> utf8, string what)
        {
            if (_stage != Stage.Fallback)
            {
                try
                {
                    Read(utf8, isFinalBlock: true);
                    if (_stage == Stage.End && _sawSpans) return _spans;
                }
                catch (Exception e) when (e is JsonException or Backends.BackendException or InvalidOperationException or FormatException)
                {
                    // Decided below, as the whole-body decode decides it (invalid JSON anywhere wins over a bad span).
                }
            }
            return DecodeTraceData(utf8, what);
        }

        private void Read(ReadOnlyMemory<byte> received, bool isFinalBlock)
        {
            var r = new Utf8JsonReader(received.Span[_position..], isFinalBlock, _state);
            while (true)
            {
                // Where the next token starts, and the reader's state there: a value not yet complete is read again from here.
                var before = r.CurrentState;
                var consumed = (int)r.BytesConsumed;
                if (!r.Read())
                {
                    if (isFinalBlock && _stage != Stage.End) _stage = Stage.Fallback; // the document ended early
                    break;
                }
                switch (_stage)
                {
                    case Stage.Start:
                        if (r.TokenType != JsonTokenType.StartObject) { _stage = Stage.Fallback; return; }
                        _stage = Stage.Properties;
                        break;
                    case Stage.Properties when r.TokenType == JsonTokenType.EndObject:
                        _stage = Stage.End;
                        break;
                    case Stage.Properties:
                        if (r.ValueTextEquals("spans"u8))
                        {
                            // The value must be an array; "spans" twice is the document's case (it takes the last).
                            if (_sawSpans) { _stage = Stage.Fallback; return; }
                            if (!r.Read()) { Wait(before, consumed); return; }
                            if (r.TokenType != JsonTokenType.StartArray) { _stage = Stage.Fallback; return; }
                            _sawSpans = true;
                            _stage = Stage.Spans;
                        }
                        else if (!r.Read() || !r.TrySkip())
                        {
                            Wait(before, consumed); // another property, not all here yet
                            return;
                        }
                        break;
                    case Stage.Spans when r.TokenType == JsonTokenType.EndArray:
                        _stage = Stage.Properties;
                        break;
                    case Stage.Spans:
                        var start = (int)r.TokenStartIndex;
                        if (!r.TrySkip())
                        {
                            Wait(before, consumed); // this span is not all here yet
                            return;
                        }
                        var length = (int)r.BytesConsumed - start;
                        var source = received.Slice(_position + start, length);
                        var one = new Utf8JsonReader(source.Span, CheckedJson);
                        one.Read();
                        _spans.Add(ReadSpan(ref one, source, _strings));
                        break;
                    case Stage.End:
                        _stage = Stage.Fallback; // text after the document
                        return;
                }
            }
            Wait(r.CurrentState, (int)r.BytesConsumed);
        }

        /// <summary>The next read starts at <paramref name="consumed"/> bytes past this one's start, in <paramref name="state"/>.</summary>
        private void Wait(JsonReaderState state, int consumed)
        {
            _position += consumed;
            _state = state;
        }
    }
}
