namespace TraceIde.Core.Overview;

/// <summary>
/// The one rule for a mean of finite values whose sum leaves double's range (two 1e308 feedback values):
/// the plain Σ/n when finite — MLflow's own result, bit for bit — else the same over values scaled by
/// 2^-64, which is exact while they stay normal (scaling by a power of two only moves the exponent), and
/// cannot overflow (|mean| ≤ max |value|). The SQL engine applies the same scale in SQL (LocalStoreMetrics).
/// </summary>
public static class FiniteMean
{
    /// <summary>2^64.</summary>
    public const double Scale = 18446744073709551616.0;

    /// <param name="sum">Σ value (may have overflowed).</param>
    /// <param name="scaledSum">Σ value / <see cref="Scale"/>.</param>
    /// <param name="n">Count (or total weight), &gt; 0.</param>
    public static double Of(double sum, double scaledSum, double n)
    {
        var mean = sum / n;
        return double.IsFinite(mean) || !double.IsFinite(scaledSum) ? mean : scaledSum / n * Scale;
    }
}
