using TraceIde.Core.Backends;

namespace TraceIde.Core.Spans;

/// <summary>Span/trace ID normalisation: base64 or hex (optionally 0x-prefixed, or tr-prefixed) to lowercase hex.</summary>
/// <remarks>
/// docs/mlflow-notes.md#identifiers: the encoding is decided by length, never by "is valid base64" (16-char hex is valid base64).
/// Span IDs: 16 hex chars (optionally <c>0x</c>), or base64 of 8 bytes (12 chars with <c>=</c>, 11 without).
/// Trace IDs: <c>tr-</c> + 32 hex, 32 hex, <c>0x</c> + hex, or base64 of 16 bytes (24 chars with <c>==</c>, 22 without).
/// </remarks>
public static class IdCodec
{
    private const int SpanBytes = 8;
    private const int TraceBytes = 16;

    /// <summary>An 8-byte span ID in any MLflow encoding to 16 lowercase hex chars; null/empty to null.</summary>
    public static string? NormalizeSpanId(string? id)
    {
        if (string.IsNullOrEmpty(id)) return null;
        var s = id.AsSpan().Trim();
        if (s.IsEmpty) return null;

        // Length first: base64 text may itself start with "0x" (e.g. "0xsPNXI85ho=").
        if (s.Length == 12 && s[^1] == '=')
            return Base64OrThrow(s, SpanBytes, id, "span");
        if (HasHexPrefix(s) && IsHex(s[2..]))
            return HexOrThrow(s[2..], SpanBytes, id, "span", allowShort: true);
        if (s.Length == SpanBytes * 2)
            return HexOrThrow(s, SpanBytes, id, "span", allowShort: false);
        if (s.Length == 11) // unpadded base64
            return Base64OrThrow(s, SpanBytes, id, "span");
        throw Bad(id, "span", "expected 16 hex characters or 12 base64 characters");
    }

    /// <summary>
    /// The two shapes nearly every span ID has — 12-char padded base64 and 16 lowercase hex chars — from
    /// the raw UTF-8 of a JSON string, as the 8-byte number, without the intermediate string; false for
    /// anything else (use <see cref="NormalizeSpanId"/>). <see cref="SpanIdText"/> of the number is what
    /// <see cref="NormalizeSpanId"/> returns for these shapes.
    /// </summary>
    internal static bool TryDecodeCommonSpanId(ReadOnlySpan<byte> utf8, out ulong id)
    {
        id = 0;
        if (utf8.Length == 12 && utf8[^1] == (byte)'=')
        {
            Span<byte> raw = stackalloc byte[9];
            if (System.Buffers.Text.Base64.DecodeFromUtf8(utf8, raw, out var consumed, out var written) != System.Buffers.OperationStatus.Done
                || consumed != 12 || written != SpanBytes)
                return false;
            id = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(raw);
            return true;
        }
        return utf8.Length == SpanBytes * 2 && !utf8.ContainsAnyExcept("0123456789abcdef"u8)
            && ulong.TryParse(utf8, System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out id);
    }

    /// <summary>An 8-byte span ID as 16 lowercase hex chars.</summary>
    internal static string SpanIdText(ulong id) => id.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A 16-byte trace ID in any MLflow encoding to `tr-` + 32 lowercase hex.</summary>
    public static string? NormalizeTraceId(string? id)
    {
        if (string.IsNullOrEmpty(id)) return null;
        var s = id.AsSpan().Trim();
        if (s.IsEmpty) return null;

        if (s.Length == 24 && s.EndsWith("=="))
            return "tr-" + Base64OrThrow(s, TraceBytes, id, "trace");
        if (s.Length > 3 && s[..3].Equals("tr-", StringComparison.OrdinalIgnoreCase))
            return "tr-" + HexOrThrow(s[3..], TraceBytes, id, "trace", allowShort: false);
        if (HasHexPrefix(s) && IsHex(s[2..]))
            return "tr-" + HexOrThrow(s[2..], TraceBytes, id, "trace", allowShort: true);
        if (s.Length == TraceBytes * 2)
            return "tr-" + HexOrThrow(s, TraceBytes, id, "trace", allowShort: false);
        if (s.Length == 22) // unpadded base64
            return "tr-" + Base64OrThrow(s, TraceBytes, id, "trace");
        throw Bad(id, "trace", "expected 'tr-' + 32 hex characters, 32 hex characters or 24 base64 characters");
    }

    private static bool HasHexPrefix(ReadOnlySpan<char> s) => s.Length > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');

    private static bool IsHex(ReadOnlySpan<char> s) => !s.IsEmpty && !s.ContainsAnyExcept("0123456789abcdefABCDEF");

    private static string HexOrThrow(ReadOnlySpan<char> hex, int bytes, string original, string what, bool allowShort)
    {
        var want = bytes * 2;
        if (hex.Length > want || (!allowShort && hex.Length != want) || hex.Length == 0)
            throw Bad(original, what, $"expected {want} hex characters");
        Span<char> buf = stackalloc char[want];
        var pad = want - hex.Length;
        buf[..pad].Fill('0');
        for (var i = 0; i < hex.Length; i++)
        {
            var c = hex[i];
            if (c is >= '0' and <= '9' or >= 'a' and <= 'f') buf[pad + i] = c;
            else if (c is >= 'A' and <= 'F') buf[pad + i] = (char)(c + ('a' - 'A'));
            else throw Bad(original, what, $"'{c}' is not a hex digit");
        }
        return new string(buf);
    }

    private static string Base64OrThrow(ReadOnlySpan<char> b64, int bytes, string original, string what)
    {
        // Accept unpadded and URL-safe variants too; the decoded length must be exactly `bytes`.
        Span<char> chars = stackalloc char[24];
        var n = 0;
        foreach (var c in b64)
        {
            if (n >= chars.Length) throw Bad(original, what, "base64 text too long");
            chars[n++] = c switch { '-' => '+', '_' => '/', _ => c };
        }
        while (n % 4 != 0)
        {
            if (n >= chars.Length) throw Bad(original, what, "bad base64 length");
            chars[n++] = '=';
        }
        Span<byte> raw = stackalloc byte[18];
        if (!Convert.TryFromBase64Chars(chars[..n], raw, out var written) || written != bytes)
            throw Bad(original, what, $"not base64 of {bytes} bytes");
        return Convert.ToHexStringLower(raw[..written]);
    }

    private static BackendException Bad(string original, string what, string why)
    {
        var shown = original.Length > 80 ? original[..80] + "…" : original;
        return BackendException.BadResponse($"Malformed {what} ID '{shown}' in the server's answer: {why}.");
    }
}
