using TraceIde.Core.Backends;
using TraceIde.Core.Spans;

namespace TraceIde.Core.Tests.Spans;

public class IdCodecTests
{
    [Theory]
    // base64 of 8 bytes: 12 chars ending '=' (docs/mlflow-notes.md#identifiers example; real root span of s1-paris-t1)
    [InlineData("q83vEjRWeJA=", "abcdef1234567890")]
    [InlineData("OfSRxhLJL0c=", "39f491c612c92f47")]
    [InlineData("OfSRxhLJL0c", "39f491c612c92f47")] // unpadded
    // 16 hex chars (3.5.0 and 2.x), any case
    [InlineData("abcdef1234567890", "abcdef1234567890")]
    [InlineData("ABCDEF1234567890", "abcdef1234567890")]
    // 16-char hex that is ALSO valid base64 (decodes to 12 bytes): length decides, so it is hex
    [InlineData("0123456789abcdef", "0123456789abcdef")]
    [InlineData("deadbeefdeadbeef", "deadbeefdeadbeef")]
    // pre-2.21 0x-prefixed hex
    [InlineData("0xabcdef1234567890", "abcdef1234567890")]
    [InlineData("0XABCDEF1234567890", "abcdef1234567890")]
    [InlineData("0x1234", "0000000000001234")]
    // base64 that happens to start with "0x": length decides, not the prefix
    [InlineData("0xsPNXI85ho=", "d31b0f35723ce61a")]
    [InlineData("0x12345678A=", "d31d76df8e7aefc0")]
    public void NormalizeSpanId_Valid(string input, string expected)
    {
        Assert.Equal(expected, IdCodec.NormalizeSpanId(input));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void NormalizeSpanId_NullOrEmpty_IsNull(string? input) => Assert.Null(IdCodec.NormalizeSpanId(input));

    [Theory]
    [InlineData("zzzzzzzzzzzzzzzz")]     // 16 chars, not hex
    [InlineData("abc")]                  // too short
    [InlineData("abcdef12345678901")]    // 17 chars
    [InlineData("fwydWypuTBuNPwqeizbG3Q==")] // a trace id (16 bytes) is not a span id
    [InlineData("!!!!!!!!!!!=")]         // 12 chars, not base64
    [InlineData("0x")]
    [InlineData("0xzz")]
    [InlineData("0x12345678901234567")]  // 17 hex digits
    public void NormalizeSpanId_Garbage_ThrowsBadResponse(string input)
    {
        var ex = Assert.Throws<BackendException>(() => IdCodec.NormalizeSpanId(input));
        Assert.Equal(TraceIde.Protocol.RpcErrorCodes.BadResponse, ex.Code);
        Assert.Contains("span ID", ex.Message);
    }

    [Theory]
    // base64 of 16 bytes (24 chars ending '=='): the real trace id of s1-paris-t1
    [InlineData("KiRd0oHPKz38u9Hntry2pA==", "tr-2a245dd281cf2b3dfcbbd1e7b6bcb6a4")]
    [InlineData("fwydWypuTBuNPwqeizbG3Q==", "tr-7f0c9d5b2a6e4c1b8d3f0a9e8b36c6dd")]
    // V3 ids
    [InlineData("tr-2a245dd281cf2b3dfcbbd1e7b6bcb6a4", "tr-2a245dd281cf2b3dfcbbd1e7b6bcb6a4")]
    [InlineData("tr-2A245DD281CF2B3DFCBBD1E7B6BCB6A4", "tr-2a245dd281cf2b3dfcbbd1e7b6bcb6a4")]
    // V2: 32 hex, no prefix (also valid base64 by alphabet and length%4: length decides)
    [InlineData("2a245dd281cf2b3dfcbbd1e7b6bcb6a4", "tr-2a245dd281cf2b3dfcbbd1e7b6bcb6a4")]
    [InlineData("0x2a245dd281cf2b3dfcbbd1e7b6bcb6a4", "tr-2a245dd281cf2b3dfcbbd1e7b6bcb6a4")]
    [InlineData("0x1234567890abcdefABCD==", "tr-d31d76df8e7aefcf7469b71d79f00108")]
    public void NormalizeTraceId_Valid(string input, string expected)
    {
        Assert.Equal(expected, IdCodec.NormalizeTraceId(input));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void NormalizeTraceId_NullOrEmpty_IsNull(string? input) => Assert.Null(IdCodec.NormalizeTraceId(input));

    [Theory]
    [InlineData("tr-xyz")]
    [InlineData("tr-2a245dd281cf2b3dfcbbd1e7b6bcb6a")] // 31 hex
    [InlineData("q83vEjRWeJA=")]                       // span-sized base64
    [InlineData("not a trace id at all")]
    [InlineData("2a245dd281cf2b3dfcbbd1e7b6bcb6g4")]   // 32 chars, 'g'
    public void NormalizeTraceId_Garbage_ThrowsBadResponse(string input)
    {
        var ex = Assert.Throws<BackendException>(() => IdCodec.NormalizeTraceId(input));
        Assert.Equal(TraceIde.Protocol.RpcErrorCodes.BadResponse, ex.Code);
        Assert.Contains("trace ID", ex.Message);
    }
}
