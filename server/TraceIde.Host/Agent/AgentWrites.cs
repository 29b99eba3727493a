using System.Text.Json.Nodes;
using TraceIde.Core.Backends;
using TraceIde.Host.Handlers;
using TraceIde.Host.Services;
using TraceIde.Protocol;

namespace TraceIde.Host.Agent;

/// <summary>
/// The write tools (listed only with `traceide mcp --allow-writes`): MLflow MCP's log_feedback,
/// log_expectation, set/delete tag and delete traces, through the same service the UI's edits use.
/// </summary>
internal sealed class AgentWrites(HostSession session)
{
    public async Task<JsonObject> RunAsync(string name, AgentArgs a, CancellationToken ct)
    {
        if (session.Backend.Kind == BackendKinds.LocalStore)
        {
            // Refused before anything is read: TraceIde never writes an MLflow database behind MLflow's back.
            throw BackendException.Unsupported(
                $"{session.Backend.DisplayLocation} is a local store, which TraceIde only reads: it never writes MLflow's database behind MLflow's back. " +
                "To change traces, start TraceIde's MCP server on an MLflow tracking server (--tracking-uri http://…, e.g. `mlflow server " +
                    "--backend-store-uri sqlite:///mlflow.db`).");
        }
        var traces = new TracesHandler(session);
        switch (name)
        {
            case AgentToolCatalog.SetTraceTag:
                {
                    var p = new TracesSetTagParams
                    {
                        TraceId = a.RequiredString("traceId"),
                        Key = a.RequiredString("key", 250),
                        Value = a.String("value", 8000) ?? throw new AgentArgumentException("'value' is required (a string).")
                    };
                    await traces.SetTagAsync(p, ct).ConfigureAwait(false);
                    return new JsonObject { ["done"] = $"Tag {p.Key} set on {p.TraceId}." };
                }
            case AgentToolCatalog.DeleteTraceTag:
                {
                    var p = new TracesDeleteTagParams { TraceId = a.RequiredString("traceId"), Key = a.RequiredString("key", 250) };
                    await traces.DeleteTagAsync(p, ct).ConfigureAwait(false);
                    return new JsonObject { ["done"] = $"Tag {p.Key} deleted from {p.TraceId}." };
                }
            case AgentToolCatalog.DeleteTraces:
                {
                    var ids = a.StringList("traceIds", 100);
                    if (ids is not { Count: > 0 }) throw new AgentArgumentException("'traceIds' must name at least one trace.");
                    var result = await traces.DeleteAsync(new TracesDeleteParams { ExperimentId = a.RequiredString("experimentId"), TraceIds = ids }, ct)
                        .ConfigureAwait(false);
                    return new JsonObject { ["deleted"] = result.Deleted };
                }
            case AgentToolCatalog.LogFeedback:
            case AgentToolCatalog.LogExpectation:
                {
                    var feedback = name == AgentToolCatalog.LogFeedback;
                    var value = a.Raw("value") ?? throw new AgentArgumentException("'value' is required.");
                    if (feedback && value.ValueKind is not (System.Text.Json.JsonValueKind.True or System.Text.Json.JsonValueKind.False
                        or System.Text.Json.JsonValueKind.Number or System.Text.Json.JsonValueKind.String))
                        throw new AgentArgumentException("A feedback 'value' is a boolean, a number or a string.");
                    var sourceType = a.String("sourceType", 20) ?? "LLM_JUDGE";
                    if (sourceType is not ("HUMAN" or "LLM_JUDGE" or "CODE"))
                        throw new AgentArgumentException($"'sourceType' is HUMAN, LLM_JUDGE or CODE (was \"{sourceType}\").");
                    // The same write the trace viewer's Add feedback makes (assessments/create), checked the same way.
                    var created = (await traces.CreateAssessmentAsync(new AssessmentsCreateParams
                    {
                        TraceId = a.RequiredString("traceId"),
                        Name = a.RequiredString("name", 250),
                        Kind = feedback ? "feedback" : "expectation",
                        Value = value,
                        Rationale = feedback ? a.String("rationale", 8000) : null,
                        SpanId = a.String("spanId", 100),
                        SourceType = sourceType,
                        SourceId = a.String("sourceId", 250) ?? "traceide-agent",
                    }, ct).ConfigureAwait(false)).Assessment;
                    return new JsonObject { ["assessmentId"] = created.AssessmentId, ["name"] = created.Name, ["kind"] = created.Kind };
                }
            default:
                throw new KeyNotFoundException($"There is no tool '{name}'.");
        }
    }
}
