using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Provisioning.Server.Tests.Store;

/// <summary>
/// Marks a store suite class whose tests need a database server that may be missing here (MariaDB, SQL Server).
/// <paramref name="server"/> is a type with a public static <c>string? SkipReason</c> property: null when the server is
/// configured (or required, so the tests run and fail without it), else the reason shown for every skipped test.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class NeedsServerAttribute(Type server) : Attribute
{
    /// <summary>The type whose static <c>SkipReason</c> decides.</summary>
    public Type Server { get; } = server;

    /// <summary>Why tests needing <paramref name="server"/> do not run; null when they run.</summary>
    public static string? SkipReasonOf(Type server)
    {
        var property = server.GetProperty("SkipReason", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            ?? throw new InvalidOperationException($"{server.Name} has no static SkipReason property for [NeedsServer].");
        return property.GetValue(null) as string;
    }
}

/// <summary>
/// A test of the shared store suite. The suite is written once in an abstract class (<see cref="ProvStoreTests"/>) and
/// inherited by one class per engine, so whether to skip depends on the concrete class, which only a discoverer sees:
/// tests of a class marked <see cref="NeedsServerAttribute"/> are skipped, with its reason, when that server is not configured.
/// </summary>
[XunitTestCaseDiscoverer("Provisioning.Server.Tests.Store.StoreFactDiscoverer", "Provisioning.Server.Tests")]
[AttributeUsage(AttributeTargets.Method)]
public sealed class StoreFactAttribute : FactAttribute;

/// <summary>A test that runs against MariaDB only; skipped (reason set here) when no server is configured.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class MariaDbFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> from the environment.</summary>
    public MariaDbFactAttribute() => Skip = MariaDbTestServer.SkipReason;
}

/// <summary>Discovers <see cref="StoreFactAttribute"/> tests, skipping those of classes whose <see cref="NeedsServerAttribute"/> server is not configured.</summary>
public sealed class StoreFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    /// <inheritdoc/>
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        foreach (var needs in testMethod.TestClass.Class.GetCustomAttributes(typeof(NeedsServerAttribute).AssemblyQualifiedName))
        {
            if (needs.GetConstructorArguments().FirstOrDefault() is Type server && NeedsServerAttribute.SkipReasonOf(server) is { } reason)
                return [new XunitSkippedDataRowTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(),
                    discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, reason)];
        }
        return base.Discover(discoveryOptions, testMethod, factAttribute);
    }
}
