// GENERATED from server/TraceIde.Protocol by `traceide contract --typescript`. Do not edit by hand:
// change the C# contract and run `dotnet run --project server/TraceIde.Host -- contract --typescript --out webview/src/protocol.generated.ts`.
// A test (tests/TraceIde.Host.Tests/ContractTests.cs) fails when this file and the C# contract differ.
export const PROTOCOL_VERSION = "1.7";

export const RpcMethods = {
  agentCallTool: "agent/callTool",
  initialize: "initialize",
  shutdown: "shutdown",
  exit: "exit",
  experimentsList: "experiments/list",
  tracesSearch: "traces/search",
  tracesGet: "traces/get",
  spansGet: "spans/get",
  tracesDelete: "traces/delete",
  tracesSetTag: "traces/setTag",
  tracesDeleteTag: "traces/deleteTag",
  assessmentsCreate: "assessments/create",
  assessmentsUpdate: "assessments/update",
  assessmentsDelete: "assessments/delete",
  sessionsList: "sessions/list",
  markdownRender: "markdown/render",
  overviewUsage: "overview/usage",
  overviewQuality: "overview/quality",
  overviewToolCalls: "overview/toolCalls",
  progress: "$/progress",
  sessionInfo: "session/info",
  sourceLocate: "source/locate",
  sourceMapPath: "source/mapPath",
  sourceSpanStats: "source/spanStats",
  workspaceDidChangeFiles: "workspace/didChangeFiles",
  tracesWindow: "traces/window",
  tracesSubscribe: "traces/subscribe",
  tracesUnsubscribe: "traces/unsubscribe",
  tracesChanged: "traces/changed",
} as const;

export const RpcErrorCodes = {
  unreachable: -32001,
  unauthorized: -32002,
  forbidden: -32003,
  notFound: -32004,
  invalidFilter: -32005,
  unsupported: -32006,
  cancelled: -32800,
  badResponse: -32007,
  serverError: -32008,
  notInitialized: -32009,
  invalidParams: -32602,
  internalError: -32603,
} as const;

export const BackendKinds = {
  mlflowServer: "mlflowServer",
  localStore: "localStore",
} as const;

export const TraceLimits = {
  inlinePayloadSpanLimit: 2000,
  maxPageSize: 500,
  defaultPageSize: 100,
  maxSessionScanTraces: 20000,
} as const;

export const IdeMethods = {
  openFile: "ide/openFile",
  openSpanSource: "ide/openSpanSource",
  openTrace: "ide/openTrace",
  openOverview: "ide/openOverview",
  copy: "ide/copy",
  revealPanel: "ide/revealPanel",
  openText: "ide/openText",
} as const;

export const UiMethods = {
  toggleLive: "ui/toggleLive",
} as const;

export const PanelViews = {
  list: "list",
  trace: "trace",
  overview: "overview",
  runList: "runList",
  compare: "compare",
} as const;

export const SourceChoice = {
  clearWinnerGap: 0.15,
} as const;

export const IdeTextLanguages = {
  json: "json",
  markdown: "markdown",
  plainText: "plaintext",
} as const;

export const SpanStatsMatches = {
  located: "located",
  name: "name",
} as const;

export const SpanStatsLimits = {
  maxLocatedTraces: 200,
} as const;

export const HostSupervision = {
  firstRestartDelayMs: 500,
  maxRestartDelayMs: 30000,
  stableAfterMs: 60000,
  maxDeathsInARow: 8,
  initializeTimeoutMs: 60000,
  shutdownTimeoutMs: 3000,
} as const;

export const NonFiniteNumbers = {
  notANumber: "NaN",
  positiveInfinity: "Infinity",
  negativeInfinity: "-Infinity",
} as const;

/** Methods a webview may call through an IDE relay. */
export const UI_CALLABLE_METHODS = ["experiments/list", "traces/search", "traces/get", "spans/get", "traces/delete", "traces/setTag", "traces/deleteTag", "markdown/render", "assessments/create", "assessments/update", "assessments/delete", "sessions/list", "overview/usage", "overview/quality", "overview/toolCalls", "session/info"] as const;

/** Methods the UI asks of its IDE: every relay answers them itself (browser mode: those a page can). */
export const IDE_METHODS = ["ide/openFile", "ide/openSpanSource", "ide/openTrace", "ide/openOverview", "ide/copy", "ide/revealPanel", "ide/openText"] as const;

/** What an IDE tells the page (notifications, no answer): the UI handles every one. */
export const UI_METHODS = ["ui/toggleLive"] as const;

/** Any JSON value (span inputs, outputs, attributes, assessment values). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A metric value that may be non-finite: NaN and ±Infinity travel as these strings (NonFiniteNumbers). */
export type MetricNumber = number | "NaN" | "Infinity" | "-Infinity";

export interface AgentCallToolParams {
  name: string;
  arguments?: JsonValue | null;
}

export interface AgentCallToolResult {
  text: string;
  isError: boolean;
}

export interface Assessment {
  assessmentId: string;
  name: string;
  kind: string;
  value?: JsonValue | null;
  error?: AssessmentError | null;
  rationale?: string | null;
  sourceType?: string | null;
  sourceId?: string | null;
  spanId?: string | null;
  createTimeMs?: number | null;
  lastUpdateTimeMs?: number | null;
  overrides?: string | null;
  valid: boolean;
  metadata: Record<string, string>;
}

export interface AssessmentError {
  code?: string | null;
  message?: string | null;
  stackTrace?: string | null;
}

export interface AssessmentQuality {
  name: string;
  count: number;
  valueKind: string;
  nullValues: number;
  averageValue?: MetricNumber | null;
  numericMean?: MetricNumber | null;
  p50Value?: MetricNumber | null;
  p90Value?: MetricNumber | null;
  p99Value?: MetricNumber | null;
  passRate?: MetricNumber | null;
  distribution: AssessmentValueCount[];
  series: QualityBucket[];
}

export interface AssessmentValueCount {
  rawValue: string;
  label: string;
  count: number;
}

export interface AssessmentsCreateParams {
  traceId: string;
  spanId?: string | null;
  name: string;
  kind: string;
  value: JsonValue;
  rationale?: string | null;
  overrides?: string | null;
  sourceId?: string | null;
  sourceType?: string | null;
}

export interface AssessmentsDeleteParams {
  traceId: string;
  assessmentId: string;
}

export interface AssessmentsUpdateParams {
  traceId: string;
  assessmentId: string;
  kind: string;
  value?: JsonValue | null;
  rationale?: string | null;
}

export interface AssessmentsWriteResult {
  assessment: Assessment;
}

export interface BackendCapabilities {
  searchV3: boolean;
  spanFilters: boolean;
  assessments: boolean;
  traceMetrics: boolean;
  deleteTraces: boolean;
  editTags: boolean;
  editAssessments: boolean;
  storeType?: string | null;
}

export interface EmptyResult {
}

export interface Experiment {
  experimentId: string;
  name: string;
  isGenAi: boolean;
  creationTimeMs?: number | null;
  lastUpdateTimeMs?: number | null;
  lifecycleStage?: string | null;
  tags: Record<string, string>;
}

export interface ExperimentsListParams {
  query?: string | null;
}

export interface ExperimentsListResult {
  experiments: Experiment[];
}

export interface IdeCopyParams {
  text: string;
}

export interface IdeOpenFileParams {
  path: string;
  line?: number | null;
  column?: number | null;
  mapToWorkspace?: boolean | null;
}

export interface IdeOpenOverviewParams {
  experimentIds?: string[] | null;
}

export interface IdeOpenSpanSourceParams {
  traceId: string;
  spanId: string;
  spanName?: string | null;
  functionName?: string | null;
}

export interface IdeOpenTextParams {
  text: string;
  language?: string | null;
  fileName: string;
}

export interface IdeOpenTraceParams {
  traceId: string;
  spanId?: string | null;
}

export interface IdeOpenedResult {
  opened: boolean;
  path?: string | null;
  line?: number | null;
}

export interface InitializeParams {
  trackingUri?: string | null;
  store?: string | null;
  workspaceFolders?: string[] | null;
  clientName?: string | null;
  workspace?: string | null;
  userName?: string | null;
}

export interface InitializeResult {
  serverName: string;
  serverVersion: string;
  protocolVersion: string;
  backendKind: string;
  backendLocation: string;
  mlflowVersion?: string | null;
  capabilities: BackendCapabilities;
  nowMs?: number | null;
  userName?: string | null;
}

export interface LiveError {
  code: number;
  message: string;
}

export interface MarkdownRenderParams {
  text: string;
}

export interface MarkdownRenderResult {
  html: string;
}

export interface OverviewParams {
  experimentIds: string[];
  startTimeMs?: number | null;
  endTimeMs?: number | null;
  timeUnit?: string | null;
  traceName?: string | null;
  tags?: Record<string, string> | null;
  user?: string | null;
  session?: string | null;
  progressToken?: string | null;
}

export interface OverviewQualityResult {
  axis: OverviewTimeAxis;
  assessments: AssessmentQuality[];
  hasAssessmentsOutsideRange: boolean;
}

export interface OverviewTimeAxis {
  startTimeMs: number;
  endTimeMs: number;
  timeUnit: string;
  intervalSeconds: number;
  bucketsMs: number[];
  engine: string;
}

export interface OverviewToolCallsResult {
  axis: OverviewTimeAxis;
  totals: ToolCallTotals;
  tools: ToolSummary[];
  series: ToolSeries[];
}

export interface OverviewUsageResult {
  axis: OverviewTimeAxis;
  totals: UsageTotals;
  series: UsageBucket[];
}

export interface PanelView {
  view: string;
  traceId?: string | null;
  traceIds?: string[] | null;
  spanId?: string | null;
  tab?: string | null;
  rangeKey?: string | null;
  experimentIds?: string[] | null;
}

export interface ProgressParams {
  token: string;
  message: string;
  done: number;
}

export interface QualityBucket {
  timeMs: number;
  averageValue?: MetricNumber | null;
  outsideRange?: boolean;
}

export interface RpcErrorData {
  kind: string;
  httpStatus?: number | null;
  mlflowErrorCode?: string | null;
}

export interface SessionSummary {
  sessionId: string;
  turns: number;
  firstTimeMs: number;
  lastTimeMs: number;
  errors: number;
  inProgress: number;
  totalTokens?: number | null;
  users: string[];
  firstRequestPreview?: string | null;
  lastState?: string | null;
}

export interface SessionsListParams {
  experimentIds: string[];
  filter?: string | null;
  filters?: TraceFilters | null;
}

export interface SessionsListResult {
  sessions: SessionSummary[];
  tracesRead: number;
  truncated: boolean;
}

export interface SourceLocateParams {
  traceId: string;
  spanId: string;
}

export interface SourceLocateResult {
  locations: SourceLocation[];
}

export interface SourceLocation {
  path: string;
  line: number;
  column?: number | null;
  confidence: number;
  reason: string;
  kind: string;
}

export interface SourceMapPathParams {
  path: string;
  line?: number | null;
}

export interface SourceSpanStatsParams {
  experimentIds: string[];
  startTimeMs?: number | null;
  endTimeMs?: number | null;
  spanNames?: string[] | null;
  path?: string | null;
}

export interface SourceSpanStatsResult {
  spans: SpanNameStats[];
  startTimeMs: number;
  endTimeMs: number;
  engine: string;
}

export interface Span {
  spanId: string;
  parentSpanId?: string | null;
  name: string;
  spanType: string;
  status: string;
  statusMessage?: string | null;
  startMs: number;
  durationMs?: number | null;
  depth: number;
  selfTimeMs: number;
  onCriticalPath?: boolean;
  childCount?: number;
  orphaned?: boolean;
  payload?: SpanPayload | null;
}

export interface SpanEvent {
  name: string;
  timeMs: number;
  attributes: Record<string, JsonValue>;
}

export interface SpanNameStats {
  spanName: string;
  calls: number;
  errors: number;
  p50LatencyMs?: number | null;
  latestTraceId?: string | null;
  match: string;
  sampled: boolean;
  traceIds?: string[] | null;
}

export interface SpanPayload {
  inputs?: JsonValue | null;
  outputs?: JsonValue | null;
  attributes: Record<string, JsonValue>;
  events: SpanEvent[];
}

export interface SpansGetParams {
  traceId: string;
  spanIds: string[];
}

export interface SpansGetResult {
  payloads: Record<string, SpanPayload>;
}

export interface TokenUsage {
  inputTokens?: number | null;
  outputTokens?: number | null;
  totalTokens?: number | null;
  cacheReadInputTokens?: number | null;
}

export interface ToolBucket {
  timeMs: number;
  calls: number;
  failures: number;
  errorRate: MetricNumber;
  avgLatencyMs?: MetricNumber | null;
}

export interface ToolCallTotals {
  calls: number;
  failedCalls: number;
  successRate?: MetricNumber | null;
  avgLatencyMs?: MetricNumber | null;
}

export interface ToolSeries {
  name: string;
  points: ToolBucket[];
}

export interface ToolSummary {
  name: string;
  calls: number;
  failures: number;
  errorRate: MetricNumber;
  avgLatencyMs?: MetricNumber | null;
  p50LatencyMs?: MetricNumber | null;
  p90LatencyMs?: MetricNumber | null;
  p99LatencyMs?: MetricNumber | null;
}

export interface TraceFilters {
  states?: string[] | null;
  startTimeMs?: number | null;
  endTimeMs?: number | null;
  name?: string | null;
  tags?: Record<string, string> | null;
  session?: string | null;
  user?: string | null;
}

export interface TraceSummary {
  traceId: string;
  experimentId: string;
  name?: string | null;
  state: string;
  requestTimeMs: number;
  durationMs?: number | null;
  requestPreview?: string | null;
  responsePreview?: string | null;
  clientRequestId?: string | null;
  session?: string | null;
  user?: string | null;
  tokens?: TokenUsage | null;
  tags: Record<string, string>;
  metadata: Record<string, string>;
  assessments: Assessment[];
}

export interface TracesChangedParams {
  subscriptionId: string;
  traces: TraceSummary[];
  error?: LiveError | null;
}

export interface TracesDeleteParams {
  experimentId: string;
  traceIds: string[];
}

export interface TracesDeleteResult {
  deleted: number;
}

export interface TracesDeleteTagParams {
  traceId: string;
  key: string;
}

export interface TracesGetParams {
  traceId: string;
  includePayloads?: boolean | null;
  maxSpans?: number | null;
}

export interface TracesGetResult {
  info: TraceSummary;
  spans: Span[];
  totalSpans: number;
  assessments: Assessment[];
  payloadsIncluded: boolean;
  warnings: string[];
}

export interface TracesSearchParams {
  experimentIds: string[];
  filter?: string | null;
  filters?: TraceFilters | null;
  orderBy?: string[] | null;
  pageSize?: number | null;
  pageToken?: string | null;
}

export interface TracesSearchResult {
  traces: TraceSummary[];
  nextPageToken?: string | null;
}

export interface TracesSetTagParams {
  traceId: string;
  key: string;
  value: string;
}

export interface TracesSubscribeParams {
  experimentIds: string[];
  filter?: string | null;
  sinceMs?: number | null;
  pollIntervalMs?: number | null;
  latenessMs?: number | null;
}

export interface TracesSubscribeResult {
  subscriptionId: string;
}

export interface TracesUnsubscribeParams {
  subscriptionId: string;
}

export interface TracesWindowParams {
  experimentIds: string[];
  startTimeMs: number;
  endTimeMs: number;
  filter?: string | null;
}

export interface TracesWindowResult {
  traces: TraceSummary[];
  errorCount: number;
  inProgressCount: number;
  truncated: boolean;
}

export interface UsageBucket {
  timeMs: number;
  requests: number;
  errors: number;
  errorRate: MetricNumber;
  p50LatencyMs?: MetricNumber | null;
  p90LatencyMs?: MetricNumber | null;
  p99LatencyMs?: MetricNumber | null;
  inputTokens: MetricNumber;
  outputTokens: MetricNumber;
  cacheReadInputTokens: MetricNumber;
  cacheCreationInputTokens: MetricNumber;
  p50TokensPerTrace?: MetricNumber | null;
  p90TokensPerTrace?: MetricNumber | null;
  p99TokensPerTrace?: MetricNumber | null;
}

export interface UsageTotals {
  requests: number;
  errors: number;
  errorRate: MetricNumber;
  avgBucketErrorRate: MetricNumber;
  avgRequestsPerBucket: MetricNumber;
  avgLatencyMs?: MetricNumber | null;
  p50LatencyMs?: MetricNumber | null;
  p90LatencyMs?: MetricNumber | null;
  p99LatencyMs?: MetricNumber | null;
  inputTokens: MetricNumber;
  outputTokens: MetricNumber;
  totalTokens: MetricNumber;
  cacheReadInputTokens: MetricNumber;
  cacheCreationInputTokens: MetricNumber;
  avgTokensPerTrace?: MetricNumber | null;
  p50TokensPerTrace?: MetricNumber | null;
  p90TokensPerTrace?: MetricNumber | null;
  p99TokensPerTrace?: MetricNumber | null;
}

export interface WorkspaceDidChangeFilesParams {
  changed?: string[] | null;
  created?: string[] | null;
  deleted?: string[] | null;
}

/** Requests: method name → parameter and result types. */
export interface RpcRequests {
  "initialize": { params: InitializeParams; result: InitializeResult };
  "shutdown": { params: null; result: null };
  "experiments/list": { params: ExperimentsListParams; result: ExperimentsListResult };
  "traces/search": { params: TracesSearchParams; result: TracesSearchResult };
  "traces/get": { params: TracesGetParams; result: TracesGetResult };
  "spans/get": { params: SpansGetParams; result: SpansGetResult };
  "traces/delete": { params: TracesDeleteParams; result: TracesDeleteResult };
  "traces/setTag": { params: TracesSetTagParams; result: EmptyResult };
  "traces/deleteTag": { params: TracesDeleteTagParams; result: EmptyResult };
  "assessments/create": { params: AssessmentsCreateParams; result: AssessmentsWriteResult };
  "assessments/update": { params: AssessmentsUpdateParams; result: AssessmentsWriteResult };
  "assessments/delete": { params: AssessmentsDeleteParams; result: EmptyResult };
  "sessions/list": { params: SessionsListParams; result: SessionsListResult };
  "markdown/render": { params: MarkdownRenderParams; result: MarkdownRenderResult };
  "overview/usage": { params: OverviewParams; result: OverviewUsageResult };
  "overview/quality": { params: OverviewParams; result: OverviewQualityResult };
  "overview/toolCalls": { params: OverviewParams; result: OverviewToolCallsResult };
  "session/info": { params: null; result: InitializeResult };
  "source/locate": { params: SourceLocateParams; result: SourceLocateResult };
  "source/mapPath": { params: SourceMapPathParams; result: SourceLocateResult };
  "source/spanStats": { params: SourceSpanStatsParams; result: SourceSpanStatsResult };
  "traces/window": { params: TracesWindowParams; result: TracesWindowResult };
  "traces/subscribe": { params: TracesSubscribeParams; result: TracesSubscribeResult };
  "traces/unsubscribe": { params: TracesUnsubscribeParams; result: EmptyResult };
  "agent/callTool": { params: AgentCallToolParams; result: AgentCallToolResult };
}

/** IDE requests (UI → IDE, answered by the relay): method name → parameter and result types. */
export interface IdeRequests {
  "ide/openFile": { params: IdeOpenFileParams; result: IdeOpenedResult };
  "ide/openSpanSource": { params: IdeOpenSpanSourceParams; result: IdeOpenedResult };
  "ide/openTrace": { params: IdeOpenTraceParams; result: EmptyResult };
  "ide/openOverview": { params: IdeOpenOverviewParams; result: EmptyResult };
  "ide/copy": { params: IdeCopyParams; result: EmptyResult };
  "ide/revealPanel": { params: null; result: EmptyResult };
  "ide/openText": { params: IdeOpenTextParams; result: EmptyResult };
}

/** IDE → UI notifications: method name → parameter type. */
export interface UiNotifications {
  "ui/toggleLive": { params: null };
}

/** Notifications: method name → parameter type. */
export interface RpcNotifications {
  "exit": { params: null };
  "workspace/didChangeFiles": { params: WorkspaceDidChangeFilesParams };
}

/** Notifications the host sends: method name → parameter type. */
export interface RpcHostNotifications {
  "$/progress": { params: ProgressParams };
  "traces/changed": { params: TracesChangedParams };
}
