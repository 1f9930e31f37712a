namespace Provisioning.Core.Wrappers;

/// <summary>Finds transport wrappers by name: the built-in <c>none</c> and <c>orw</c>, then user wrappers in loaded assemblies.</summary>
public static class TransportWrappers
{
    /// <summary>The default: node messages go on the line as they are.</summary>
    public const string None = "none";

    /// <summary>The guide's Figure 5 example wrapper.</summary>
    public const string Orw = "orw";

    /// <summary>Names of every wrapper that can be created now (built-in and loaded), for tab completion and errors.</summary>
    public static IReadOnlyList<string> Available() => throw new NotImplementedException();

    /// <summary>A new wrapper instance for one link. Throws <see cref="ArgumentException"/> listing the known names when <paramref name="name"/> is unknown.</summary>
    public static TransportWrapper Create(string name) => throw new NotImplementedException();
}
