using System.Globalization;
using Provisioning.Core;
using Provisioning.Server.Hosting;

namespace Provisioning.Server;

/// <summary>Entry point: <c>dotnet Provisioning.Server.dll [--settings file] [--urls …] [--Provisioning:Name=value …]</c>.</summary>
public static class Program
{
    /// <summary>Runs the server until it is stopped; exit code 1 with a one-line reason when it cannot start.</summary>
    public static async Task<int> Main(string[] args)
    {
        // Everything the server writes under its data folder is its owner's only, whichever library creates it.
        OwnerOnlyFolder.RestrictNewFiles();
        // Culture data is loaded (the SQL Server client needs it), but numbers, dates and text rules stay the same on
        // every machine whatever its locale: the invariant culture, as when the server ran without culture data.
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.DefaultThreadCurrentUICulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;
        if (args.Length > 0 && args[0] == "restore")
            return await Backup.RestoreCommand.RunAsync(args[1..]);
        WebApplication? app = null;
        try
        {
            app = ProvisioningServer.Build(args);
            await ProvisioningServer.PrepareAsync(app);
            await app.StartAsync();
            app.Logger.LogInformation("Listening on {Urls}", string.Join(", ", app.Urls));
            await app.WaitForShutdownAsync();
            return 0;
        }
        catch (StartupException ex)
        {
            Console.Error.WriteLine($"The provisioning server cannot start: {ex.Message}");
            return 1;
        }
        catch (IOException ex) when (ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase) || ex.InnerException is System.Net.Sockets.SocketException)
        {
            Console.Error.WriteLine($"The provisioning server cannot start: {ex.Message} Another program (or server) uses that port; choose another with --urls or Start-ProvServer -Port.");
            return 1;
        }
        catch (Exception ex) when (ex is UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            Console.Error.WriteLine($"The provisioning server cannot start: {ExceptionText.Of(ex)}");
            return 1;
        }
        finally
        {
            if (app is not null)
                await app.DisposeAsync();
        }
    }
}
