using Provisioning.Core.Packaging;

namespace Provisioning.Server.Import;

/// <summary>The uploaded package failed verification; nothing was imported.</summary>
public sealed class PackageRejectedException(string source, IReadOnlyList<PackageProblem> problems)
    : Exception($"The package {source} was not imported:\n" + string.Join("\n", problems.Select(p => p.Message)))
{
    /// <summary>Every problem found.</summary>
    public IReadOnlyList<PackageProblem> Problems { get; } = problems;

    /// <summary>Whether the only thing wrong is the passphrase.</summary>
    public bool WrongPassphrase => Problems.All(p => p.Kind == PackageProblemKind.WrongPassphrase);
}
