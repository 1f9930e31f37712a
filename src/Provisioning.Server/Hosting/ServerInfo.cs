using System.Reflection;

namespace Provisioning.Server.Hosting;

/// <summary>Facts about this server build.</summary>
public sealed class ServerInfo
{
    /// <summary>Informational version without build metadata.</summary>
    public static string Version { get; } =
        (typeof(ServerInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0").Split('+')[0];
}
