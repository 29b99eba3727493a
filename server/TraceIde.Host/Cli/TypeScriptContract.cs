using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using TraceIde.Protocol;

namespace TraceIde.Host.Cli;

/// <summary>
/// Generates webview/src/protocol.generated.ts from the C# contract. Property names and shapes come
/// from the source-generated JSON metadata itself, so the TypeScript matches the wire exactly.
/// </summary>
public static class TypeScriptContract
{
    public static string Generate()
    {
        var sb = new StringBuilder();
        sb.Append("""
            // GENERATED from server/TraceIde.Protocol by `traceide contract --typescript`. Do not edit by hand:
            // change the C# contract and run `dotnet run --project server/TraceIde.Host -- contract --typescript --out webview/src/protocol.generated.ts`.
            // A test (tests/TraceIde.Host.Tests/ContractTests.cs) fails when this file and the C# contract differ.

            """);
        sb.Append($"export const PROTOCOL_VERSION = \"{ProtocolInfo.Version}\";\n\n");
        WriteConstants(sb, "RpcMethods", typeof(RpcMethods), quote: true);
        WriteConstants(sb, "RpcErrorCodes", typeof(RpcErrorCodes), quote: false);
        WriteConstants(sb, "BackendKinds", typeof(BackendKinds), quote: true);
        WriteConstants(sb, "TraceLimits", typeof(TraceLimits), quote: false);
        WriteConstants(sb, "IdeMethods", typeof(IdeMethods), quote: true);
        WriteConstants(sb, "UiMethods", typeof(UiMethods), quote: true);
        WriteConstants(sb, "PanelViews", typeof(PanelViews), quote: true);
        WriteConstants(sb, "SourceChoice", typeof(SourceChoice), quote: false);
        WriteConstants(sb, "IdeTextLanguages", typeof(IdeTextLanguages), quote: true);
        WriteConstants(sb, "SpanStatsMatches", typeof(SpanStatsMatches), quote: true);
        WriteConstants(sb, "SpanStatsLimits", typeof(SpanStatsLimits), quote: false);
        WriteConstants(sb, "HostSupervision", typeof(HostSupervision), quote: false);
        WriteConstants(sb, "NonFiniteNumbers", typeof(NonFiniteNumbers), quote: true);
        sb.Append("/** Methods a webview may call through an IDE relay. */\n");
        sb.Append("export const UI_CALLABLE_METHODS = [").Append(string.Join(", ", RpcMethods.UiCallable.Select(m => $"\"{m}\""))).Append("] as const;\n\n");
        sb.Append("/** Methods the UI asks of its IDE: every relay answers them itself (browser mode: those a page can). */\n");
        sb.Append("export const IDE_METHODS = [").Append(string.Join(", ", IdeMethods.All.Select(m => $"\"{m}\""))).Append("] as const;\n\n");
        sb.Append("/** What an IDE tells the page (notifications, no answer): the UI handles every one. */\n");
        sb.Append("export const UI_METHODS = [").Append(string.Join(", ", UiMethods.All.Select(m => $"\"{m}\""))).Append("] as const;\n\n");
        sb.Append("/** Any JSON value (span inputs, outputs, attributes, assessment values). */\n");
        sb.Append("export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };\n\n");
        sb.Append("/** A metric value that may be non-finite: NaN and ±Infinity travel as these strings (NonFiniteNumbers). */\n");
        sb.Append("export type MetricNumber = number | \"NaN\" | \"Infinity\" | \"-Infinity\";\n\n");

        var pending = new Queue<Type>();
        var seen = new HashSet<Type>();
        foreach (var m in RpcContract.Methods.Concat(IdeContract.Methods))
        {
            foreach (var t in new[] { m.ParamsType, m.ResultType })
            {
                if (t != null && seen.Add(t)) pending.Enqueue(t);
            }
        }
        foreach (var t in new[] { typeof(RpcErrorData), typeof(PanelView) })
        {
            if (seen.Add(t)) pending.Enqueue(t);
        }

        var interfaces = new SortedDictionary<string, string>(StringComparer.Ordinal);
        while (pending.Count > 0)
        {
            var type = pending.Dequeue();
            interfaces[type.Name] = WriteInterface(type, t =>
            {
                if (seen.Add(t)) pending.Enqueue(t);
            });
        }
        foreach (var text in interfaces.Values) sb.Append(text);

        sb.Append("/** Requests: method name → parameter and result types. */\n");
        sb.Append("export interface RpcRequests {\n");
        foreach (var m in RpcContract.Methods.Where(m => !m.IsNotification))
        {
            sb.Append($"  \"{m.Name}\": {{ params: {TypeName(m.ParamsType)}; result: {TypeName(m.ResultType)} }};\n");
        }
        sb.Append("}\n\n");
        sb.Append("/** IDE requests (UI → IDE, answered by the relay): method name → parameter and result types. */\n");
        sb.Append("export interface IdeRequests {\n");
        foreach (var m in IdeContract.Methods)
        {
            sb.Append($"  \"{m.Name}\": {{ params: {TypeName(m.ParamsType)}; result: {TypeName(m.ResultType)} }};\n");
        }
        sb.Append("}\n\n");
        sb.Append("/** IDE → UI notifications: method name → parameter type. */\n");
        sb.Append("export interface UiNotifications {\n");
        foreach (var m in IdeContract.UiNotifications)
        {
            sb.Append($"  \"{m.Name}\": {{ params: {TypeName(m.ParamsType)} }};\n");
        }
        sb.Append("}\n\n");
        sb.Append("/** Notifications: method name → parameter type. */\n");
        sb.Append("export interface RpcNotifications {\n");
        foreach (var m in RpcContract.Methods.Where(m => m.IsNotification && !m.FromHost))
        {
            sb.Append($"  \"{m.Name}\": {{ params: {TypeName(m.ParamsType)} }};\n");
        }
        sb.Append("}\n\n");
        sb.Append("/** Notifications the host sends: method name → parameter type. */\n");
        sb.Append("export interface RpcHostNotifications {\n");
        foreach (var m in RpcContract.Methods.Where(m => m.FromHost))
        {
            sb.Append($"  \"{m.Name}\": {{ params: {TypeName(m.ParamsType)} }};\n");
        }
        sb.Append("}\n");
        return sb.ToString();
    }

    private static string TypeName(Type? t) => t?.Name ?? "null";

    private static void WriteConstants(StringBuilder sb, string name, Type holder, bool quote)
    {
        sb.Append($"export const {name} = {{\n");
        foreach (var f in holder.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral))
        {
            var value = f.GetRawConstantValue();
            var text = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture);
            sb.Append($"  {JsonNamingPolicy.CamelCase.ConvertName(f.Name)}: {(quote ? $"\"{text}\"" : text)},\n");
        }
        sb.Append("} as const;\n\n");
    }

    private static string WriteInterface(Type type, Action<Type> discovered)
    {
        var info = ProtocolJsonContext.Default.GetTypeInfo(type)
                   ?? throw new InvalidOperationException($"{type.Name} is not in ProtocolJsonContext: add [JsonSerializable(typeof({type.Name}))].");
        var nullability = new NullabilityInfoContext();
        var sb = new StringBuilder();
        sb.Append($"export interface {type.Name} {{\n");
        foreach (var p in info.Properties)
        {
            var member = p.AttributeProvider as PropertyInfo;
            var nullable = member != null
                ? nullability.Create(member).ReadState == NullabilityState.Nullable
                : Nullable.GetUnderlyingType(p.PropertyType) != null;
            var ts = TsType(p.PropertyType, member != null ? nullability.Create(member) : null, discovered);
            // A double written with named literals may arrive as "NaN" / "Infinity" / "-Infinity".
            if (ts == "number" && (Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType) == typeof(double) &&
                ((p.NumberHandling ?? info.NumberHandling) ?? default).HasFlag(JsonNumberHandling.AllowNamedFloatingPointLiterals))
                ts = "MetricNumber";
            // [JsonIgnore(WhenWritingDefault)]: absent on the wire when false/0, so optional for the reader.
            var omittedWhenDefault = member?.GetCustomAttribute<JsonIgnoreAttribute>()?.Condition == JsonIgnoreCondition.WhenWritingDefault;
            sb.Append(nullable ? $"  {p.Name}?: {ts} | null;\n" : omittedWhenDefault ? $"  {p.Name}?: {ts};\n" : $"  {p.Name}: {ts};\n");
        }
        sb.Append("}\n\n");
        return sb.ToString();
    }

    private static string TsType(Type t, NullabilityInfo? n, Action<Type> discovered)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        if (t == typeof(string)) return "string";
        if (t == typeof(bool)) return "boolean";
        if (t == typeof(int) || t == typeof(long) || t == typeof(double)) return "number";
        if (t == typeof(JsonElement)) return "JsonValue";
        if (t.IsGenericType)
        {
            var def = t.GetGenericTypeDefinition();
            var args = t.GetGenericArguments();
            if (def == typeof(IReadOnlyList<>))
                return $"{Wrap(TsType(args[0], n?.GenericTypeArguments.ElementAtOrDefault(0), discovered))}[]";
            if (def == typeof(IReadOnlyDictionary<,>) && args[0] == typeof(string))
                return $"Record<string, {TsType(args[1], n?.GenericTypeArguments.ElementAtOrDefault(1), discovered)}>";
        }
        if (t.IsClass && t.Namespace == typeof(ProtocolInfo).Namespace)
        {
            discovered(t);
            return t.Name;
        }
        throw new NotSupportedException($"No TypeScript mapping for {t} in the contract; use string, number, bool, JsonElement, IReadOnlyList<T>, " +
            "IReadOnlyDictionary<string, T> or a contract record.");
    }

    private static string Wrap(string ts) => ts.Contains(' ') ? $"({ts})" : ts;
}
