using Xunit.Abstractions;
using Xunit.Sdk;

namespace Provisioning.Server.Tests.Store;

/// <summary>Marks a test class whose tests run against MariaDB, so <see cref="StoreFactAttribute"/> skips them without a server.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class NeedsMariaDbAttribute : Attribute;

/// <summary>
/// A test of the shared store suite. The suite is written once in an abstract class and inherited by one class per
/// engine, so whether to skip depends on the concrete class, which only a discoverer sees: tests of a class marked
/// <see cref="NeedsMariaDbAttribute"/> are skipped when no MariaDB is configured.
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

/// <summary>Discovers <see cref="StoreFactAttribute"/> tests, skipping those of MariaDB classes when no server is configured.</summary>
public sealed class StoreFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    /// <inheritdoc/>
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        var needsMariaDb = testMethod.TestClass.Class.GetCustomAttributes(typeof(NeedsMariaDbAttribute).AssemblyQualifiedName).Any();
        if (needsMariaDb && MariaDbTestServer.SkipReason is { } reason)
            return [new XunitSkippedDataRowTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(),
                discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, reason)];
        var needsSqlServer = testMethod.TestClass.Class.GetCustomAttributes(typeof(NeedsSqlServerAttribute).AssemblyQualifiedName).Any();
        if (needsSqlServer && SqlServerTestServer.SkipReason is { } sqlServerReason)
            return [new XunitSkippedDataRowTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(),
                discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, sqlServerReason)];
        return base.Discover(discoveryOptions, testMethod, factAttribute);
    }
}
