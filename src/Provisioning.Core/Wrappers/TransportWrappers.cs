using System.Reflection;

namespace Provisioning.Core.Wrappers;

/// <summary>Finds transport wrappers by name: the built-in ones (<c>none</c>, <c>orw</c>, <c>reliable</c>, <c>opt_psem</c>), then user wrappers in loaded assemblies.</summary>
/// <remarks>
/// A user wrapper is a public class deriving from <see cref="TransportWrapper"/> with a public parameterless constructor,
/// found by its <see cref="TransportWrapperNameAttribute"/> name or its full type name in any assembly loaded into the
/// process (Add-Type, Import-Module, Assembly.LoadFrom). Names compare case-insensitively.
/// </remarks>
public static class TransportWrappers
{
    /// <summary>The default: node messages go on the line as they are.</summary>
    public const string None = "none";

    /// <summary>The guide's Figure 5 example wrapper.</summary>
    public const string Orw = "orw";

    /// <summary>The reliable transport for UART hosts whose line is not 100 % reliable (guide §4.2, Appendix B; docs/wrappers.md).</summary>
    public const string Reliable = "reliable";

    /// <summary>ANSI C12.18 PSEM over a meter's optical port (guide D.3 <c>--wrapper=opt_psem</c>; docs/wrappers.md).</summary>
    public const string OptPsem = "opt_psem";

    /// <summary>The built-in wrappers, in the order they are listed.</summary>
    private static readonly (string Name, Func<TransportWrapper> Create)[] BuiltIn =
    [
        (None, static () => new NoneWrapper()),
        (Orw, static () => new OrwWrapper()),
        (Reliable, static () => new ReliableWrapper()),
        (OptPsem, static () => new OptPsemWrapper()),
    ];

    private static readonly Dictionary<Assembly, (string Name, Type Type)[]> Scanned = new();
    private static readonly AssemblyName CoreName = typeof(TransportWrapper).Assembly.GetName();

    /// <summary>Names of every wrapper that can be created now (built-in and loaded), for tab completion and errors.</summary>
    public static IReadOnlyList<string> Available()
    {
        var names = BuiltIn.Select(b => b.Name).ToList();
        foreach (var (name, _) in LoadedWrappers())
            if (!names.Contains(name, StringComparer.OrdinalIgnoreCase)) names.Add(name);
        return names;
    }

    /// <summary>A new wrapper instance for one link. Throws <see cref="ArgumentException"/> listing the known names when <paramref name="name"/> is unknown.</summary>
    public static TransportWrapper Create(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var (builtIn, create) in BuiltIn)
            if (name.Equals(builtIn, StringComparison.OrdinalIgnoreCase)) return create();
        var wrappers = LoadedWrappers();
        var type = wrappers.FirstOrDefault(w => w.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Type
            ?? wrappers.FirstOrDefault(w => string.Equals(w.Type.FullName, name, StringComparison.OrdinalIgnoreCase)).Type;
        if (type is null)
            throw new ArgumentException($"There is no transport wrapper named '{name}'. Known wrappers: {string.Join(", ", Available())}. " +
                "A wrapper of your own must be loaded first (Add-Type or Import-Module of its assembly); see docs/node-protocol.md, 'Writing your own wrapper'.", nameof(name));
        if (type.GetConstructor(Type.EmptyTypes) is null)
            throw new ArgumentException($"The transport wrapper '{name}' ({type.FullName}) has no public parameterless constructor, so it cannot be created for each link. Add one.", nameof(name));
        try
        {
            return (TransportWrapper)Activator.CreateInstance(type)!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw new InvalidOperationException($"The transport wrapper '{name}' ({type.FullName}) failed in its constructor: {e.InnerException.Message}", e.InnerException);
        }
    }

    /// <summary>Wrapper classes in loaded assemblies that can see this one; each assembly is scanned once.</summary>
    private static List<(string Name, Type Type)> LoadedWrappers()
    {
        var found = new List<(string, Type)>();
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
        {
            (string, Type)[]? wrappers;
            lock (Scanned)
            {
                if (!Scanned.TryGetValue(assembly, out wrappers))
                    Scanned[assembly] = wrappers = Scan(assembly);
            }
            found.AddRange(wrappers);
        }
        return found;
    }

    private static (string, Type)[] Scan(Assembly assembly)
    {
        // Only an assembly that references this one can hold a wrapper; skipping the rest keeps the scan cheap.
        if (assembly != typeof(TransportWrapper).Assembly &&
            !assembly.GetReferencedAssemblies().Any(a => AssemblyName.ReferenceMatchesDefinition(a, CoreName)))
            return [];
        Type?[] types;
        try { types = assembly.GetTypes(); }
        catch (ReflectionTypeLoadException e) { types = e.Types; }
        return types.OfType<Type>()
            .Where(t => t is { IsAbstract: false, IsPublic: true } && t.IsSubclassOf(typeof(TransportWrapper)))
            .Select(t => (t.GetCustomAttribute<TransportWrapperNameAttribute>()?.Name ?? t.FullName!, t))
            .Where(w => !BuiltIn.Any(b => b.Name.Equals(w.Item1, StringComparison.OrdinalIgnoreCase)))
            .ToArray();
    }
}
