using TraceIde.Protocol;
using static TraceIde.Backends.Mlflow.MlflowEndpoints;

namespace TraceIde.Backends.Mlflow;

/// <summary>
/// The capability table: from what <see cref="MlflowRestBackend.ConnectAsync"/> detected (the server's
/// version and store type) to the requests each operation sends (docs/mlflow-notes.md#versions-and-endpoints). Each operation has a chain
/// of endpoints, newest first; the backend sends the first and falls back to the next only when the
/// server answers that it does not serve it. On a server whose version is known, every chain is the one
/// endpoint that release serves, so an operation is one request and no request is sent that the table
/// knows will 404; an empty chain means the server cannot do it at all (no request is sent). Only a
/// server that does not say its version (a proxy hiding /version) gets the whole chain.
/// </summary>
internal sealed class MlflowRoutes
{
    /// <summary>Before <see cref="MlflowRestBackend.ConnectAsync"/> or when the server hides its version.</summary>
    public static readonly MlflowRoutes Unknown = For(null, null);

    private MlflowRoutes(Version? version, string? storeType)
    {
        ServerVersion = version;
        var fileStore = string.Equals(storeType, "FileStore", StringComparison.OrdinalIgnoreCase);
        Search = Chain(SearchV3, SearchV2);
        Info = Chain(InfoV3, InfoV2);
        // traces/get reads spans from the SQL store only (a file store answers 501).
        TraceGet = fileStore ? [] : Chain(TracesGet);
        // The 2.0 form serves every release since 2.14; the 3.0 alias is preferred where it exists.
        Artifact = Chain(ArtifactV3, ArtifactV2);
        Delete = Chain(DeleteV3, DeleteV2);
        SetTag = Chain(SetTagV3, SetTagV2);
        DeleteTag = Chain(DeleteTagV3, DeleteTagV2);
        Assessments = Chain(AssessmentCreate);
        // A file store cannot aggregate (FEATURE_DISABLED); server-info says so from 3.10, and on 3.9 an
        // unknown store type counts as SQL.
        Metrics = fileStore ? [] : Chain(TraceMetrics);
        AskServerInfo = Chain(ServerInfo).Count > 0;
    }

    /// <summary>The routes of a server of <paramref name="version"/> (null: unknown) with <paramref name="storeType"/> (server-info's, when known).</summary>
    public static MlflowRoutes For(Version? version, string? storeType) => new(version, storeType);

    /// <summary>The server's version, normalised to three parts; null when it did not say.</summary>
    public Version? ServerVersion { get; }

    public IReadOnlyList<Endpoint> Search { get; }
    public IReadOnlyList<Endpoint> Info { get; }
    /// <summary>Info and spans in one request (≥ 3.7, SQL store); empty where the server has no such route.</summary>
    public IReadOnlyList<Endpoint> TraceGet { get; }
    public IReadOnlyList<Endpoint> Artifact { get; }
    public IReadOnlyList<Endpoint> Delete { get; }
    public IReadOnlyList<Endpoint> SetTag { get; }
    public IReadOnlyList<Endpoint> DeleteTag { get; }
    /// <summary>Assessment writes (create, update and delete arrive together, in 3.2).</summary>
    public IReadOnlyList<Endpoint> Assessments { get; }
    public IReadOnlyList<Endpoint> Metrics { get; }
    /// <summary>server-info exists (≥ 3.10), or the version is unknown and it may.</summary>
    public bool AskServerInfo { get; }

    /// <summary>What the UI may offer on this server.</summary>
    public BackendCapabilities Capabilities(string? storeType)
    {
        bool AtLeast(int major, int minor) => ServerVersion is { } v && v >= new Version(major, minor, 0);
        return new BackendCapabilities
        {
            SearchV3 = AtLeast(3, 2),
            SpanFilters = AtLeast(3, 6),
            Assessments = AtLeast(3, 2),
            TraceMetrics = AtLeast(3, 9) && Metrics.Count > 0,
            DeleteTraces = Delete.Count > 0,
            EditTags = SetTag.Count > 0,
            EditAssessments = AtLeast(3, 2),
            StoreType = storeType,
        };
    }

    /// <summary>
    /// A known version: the newest endpoint it serves (none when it serves none). Unknown: all of them,
    /// newest first, for the backend to fall back along.
    /// </summary>
    private IReadOnlyList<Endpoint> Chain(params Endpoint[] newestFirst)
    {
        if (ServerVersion is not { } v) return newestFirst;
        foreach (var e in newestFirst)
            if (v >= e.Since) return [e];
        return [];
    }
}
