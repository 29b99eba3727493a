using System.Text.Json;
using TraceIde.Core.Backends;
using TraceIde.Protocol;
using TraceIde.Testing;

namespace TraceIde.Mlflow.Tests;

/// <summary>
/// assessments create / update / delete against MLflow 3.11's recorded answers: every request must be the recorded
/// one byte for byte in meaning (the replay server matches method, path and JSON body), and what comes back is
/// the recorded response read as the contract's Assessment.
/// </summary>
public sealed class AssessmentWriteTests
{
    private const string Tokyo = "tr-5b459dd05cb47503871b19889a0dfb57";
    private const string CarryOn = "tr-833daacc8db69e106b2a3056d2cc687e";
    private const string JudgeHelpfulness = "a-405edbc4a34047509301523dfe8bb6aa";

    private static JsonElement Value(string json) => JsonDocument.Parse(json).RootElement.Clone();

    [Fact]
    public async Task Create_feedback_sends_the_recorded_body_and_reads_the_stored_assessment()
    {
        await using var server = MlflowReplayServer.Start();
        await using var backend = TestSupport.Backend(server);
        var a = await backend.CreateAssessmentAsync(new AssessmentsCreateParams
        {
            TraceId = Tokyo, Name = "user_satisfaction", Kind = "feedback", Value = Value("true"),
            Rationale = "Quick and accurate.", SourceId = "nina@example.com",
        }, CancellationToken.None);
        Assert.Equal("assessments_create.json", server.Requests.Single().MatchedRecording);
        Assert.Equal("a-f9ed3352fc2346df9cea9b3e8354a2ab", a.AssessmentId);
        Assert.Equal(("feedback", "user_satisfaction", "HUMAN", "nina@example.com"), (a.Kind, a.Name, a.SourceType, a.SourceId));
        Assert.Equal(JsonValueKind.True, a.Value!.Value.ValueKind);
        Assert.True(a.Valid);
        Assert.Equal(DateTimeOffset.Parse("2026-11-23T22:55:15.974Z").ToUnixTimeMilliseconds(), a.CreateTimeMs);
    }

    [Fact]
    public async Task Update_sends_only_what_changes_in_the_update_mask()
    {
        await using var server = MlflowReplayServer.Start();
        await using var backend = TestSupport.Backend(server);
        var a = await backend.UpdateAssessmentAsync(new AssessmentsUpdateParams
        {
            TraceId = Tokyo, AssessmentId = "a-f9ed3352fc2346df9cea9b3e8354a2ab", Kind = "feedback",
            Value = Value("false"), Rationale = "Changed my mind: the forecast was wrong.",
        }, CancellationToken.None);
        Assert.Equal("assessments_update.json", server.Requests.Single().MatchedRecording);
        Assert.Equal(JsonValueKind.False, a.Value!.Value.ValueKind);
        Assert.Equal("Changed my mind: the forecast was wrong.", a.Rationale);

        var e = await backend.UpdateAssessmentAsync(new AssessmentsUpdateParams
        {
            TraceId = CarryOn, AssessmentId = "a-27889897a2234cfca0830f4bf90242ac", Kind = "expectation",
            Value = Value("\"Carry-on max 55 x 35 x 25 cm (new 2027 rule), plus one personal item.\""),
        }, CancellationToken.None);
        Assert.Equal("assessments_expectation__update_value.json", server.Requests[1].MatchedRecording);
        Assert.Equal(("expectation", "expected_response"), (e.Kind, e.Name));
    }

    [Fact]
    public async Task Changing_the_kind_of_an_assessment_is_refused_with_MLflows_message()
    {
        await using var server = MlflowReplayServer.Start();
        await using var backend = TestSupport.Backend(server);
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.UpdateAssessmentAsync(new AssessmentsUpdateParams
        {
            TraceId = CarryOn, AssessmentId = "a-27889897a2234cfca0830f4bf90242ac", Kind = "feedback", Value = Value("true"),
        }, CancellationToken.None));
        Assert.Equal("error__assessments_expectation_update_with_feedback.json", server.Requests.Single().MatchedRecording);
        Assert.Equal(RpcErrorCodes.InvalidFilter, ex.Code); // "the filter string or another parameter is invalid": MLflow's 400
        Assert.Contains("Cannot update feedback value on an Expectation assessment", ex.Message);
    }

    [Fact]
    public async Task Override_a_judge_then_delete_the_override()
    {
        await using var server = MlflowReplayServer.Start();
        await using var backend = TestSupport.Backend(server);
        var human = await backend.CreateAssessmentAsync(new AssessmentsCreateParams
        {
            TraceId = Tokyo, Name = "helpfulness", Kind = "feedback", Value = Value("3"),
            Rationale = "The judge was too generous: no umbrella advice.", Overrides = JudgeHelpfulness, SourceId = "reviewer.kim@example.com",
        }, CancellationToken.None);
        Assert.Equal("assessments_override__create.json", server.Requests[0].MatchedRecording);
        Assert.Equal(JudgeHelpfulness, human.Overrides);
        Assert.Equal(3.0, human.Value!.Value.GetDouble()); // MLflow stores numbers as doubles

        await backend.DeleteAssessmentAsync(Tokyo, human.AssessmentId, CancellationToken.None);
        Assert.Equal("assessments_override__delete_new.json", server.Requests[1].MatchedRecording);
    }

    [Fact]
    public async Task Overriding_an_unknown_assessment_is_not_found()
    {
        await using var server = MlflowReplayServer.Start();
        await using var backend = TestSupport.Backend(server);
        var recorded = ReplayRecording.Get("error__assessments_override_unknown_target");
        var body = recorded.RequestBody!.Value.GetProperty("assessment");
        var ex = await Assert.ThrowsAsync<BackendException>(() => backend.CreateAssessmentAsync(new AssessmentsCreateParams
        {
            TraceId = body.GetProperty("trace_id").GetString()!, Name = body.GetProperty("assessment_name").GetString()!, Kind = "feedback",
            Value = body.GetProperty("feedback").GetProperty("value").Clone(), Overrides = body.GetProperty("overrides").GetString(),
            Rationale = body.TryGetProperty("rationale", out var r) ? r.GetString() : null,
            SourceId = body.GetProperty("source").GetProperty("source_id").GetString(),
        }, CancellationToken.None));
        Assert.Equal("error__assessments_override_unknown_target.json", server.Requests.Single().MatchedRecording);
        Assert.Equal(RpcErrorCodes.NotFound, ex.Code);
    }

    [Fact]
    public async Task Deleting_an_unknown_assessment_succeeds_as_MLflow_answers()
    {
        var recorded = ReplayRecording.Get("assessments_delete__unknown_id");
        var parts = recorded.Path.Split('/');
        await using var server = MlflowReplayServer.Start();
        await using var backend = TestSupport.Backend(server);
        await backend.DeleteAssessmentAsync(parts[^3], parts[^1], CancellationToken.None);
        Assert.Equal("assessments_delete__unknown_id.json", server.Requests.Single().MatchedRecording);
    }

    [Theory]
    [InlineData("3.1.4", false)]
    [InlineData("3.2.0", true)]
    [InlineData("3.11.2.dev0", true)]
    public void Only_a_server_from_3_2_edits_assessments(string version, bool editable) =>
        Assert.Equal(editable, TraceIde.Backends.Mlflow.MlflowRestBackend.CapabilitiesFor(version, "SqlStore").EditAssessments);
}
