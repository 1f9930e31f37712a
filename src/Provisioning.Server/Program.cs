namespace Provisioning.Server;

/// <summary>Entry point.</summary>
public static class Program
{
    /// <summary>Runs the server until it is stopped.</summary>
    public static int Main(string[] args) => 0;
}
