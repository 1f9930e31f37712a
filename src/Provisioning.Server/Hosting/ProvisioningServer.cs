using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;
using Provisioning.Core;
using Provisioning.Core.Api;
using Provisioning.Server.Accounts;
using Provisioning.Server.Audit;
using Provisioning.Server.Auth;
using Provisioning.Server.Endpoints;
using Provisioning.Server.Export;
using Provisioning.Server.Import;
using Provisioning.Server.Keys;
using Provisioning.Server.Repository;
using Provisioning.Server.Store;
using Provisioning.Server.Web;

namespace Provisioning.Server.Hosting;

/// <summary>Builds and prepares the server: settings, logging, store, master key, admin token, endpoints.</summary>
public static class ProvisioningServer
{
    /// <summary>Port of the guide's server.</summary>
    public const int DefaultPort = 8085;
    /// <summary>Settings file read from beside the server when present.</summary>
    public const string SettingsFileName = "provisioning-server.json";

    /// <summary>Builds the application; <see cref="PrepareAsync"/> must run before it serves.</summary>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, SettingsFileName), optional: true, reloadOnChange: false);
        if (SettingsFileArgument(args) is { } settingsFile)
            builder.Configuration.AddJsonFile(Path.GetFullPath(settingsFile), optional: false, reloadOnChange: false);
        builder.Configuration.AddEnvironmentVariables();
        builder.Configuration.AddCommandLine(args.Where((a, i) => a != "--settings" && (i == 0 || args[i - 1] != "--settings")).ToArray());

        var settings = builder.Configuration.GetSection(ServerSettings.Section).Get<ServerSettings>() ?? new ServerSettings();
        settings.DataPath = Path.GetFullPath(settings.DataPath);
        builder.Services.AddSingleton(Options.Create(settings));
        ServerTls.Configure(builder, settings);

        // Kestrel:Endpoints is a section (a value read there is always null): test that it exists, or UseUrls would
        // make Kestrel warn that it overrides the endpoints the settings file gave.
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && !builder.Configuration.GetSection("Kestrel:Endpoints").Exists())
            builder.WebHost.UseUrls($"http://127.0.0.1:{DefaultPort}");
        builder.WebHost.ConfigureKestrel(k => k.AddServerHeader = false);

        builder.Logging.ClearProviders();
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddProvider(new FileLoggerProvider(settings.LogPath));
        if (settings.ConsoleLog)
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);

        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.DefaultIgnoreCondition = ApiJson.Options.DefaultIgnoreCondition;
            foreach (var converter in ApiJson.Options.Converters)
                o.SerializerOptions.Converters.Add(converter);
        });
        builder.Services.AddSingleton(_ => StoreFactory.Create(settings.Database, settings.DataPath, settings.DatabasePassword));
        builder.Services.AddSingleton(_ => MasterKey.LoadOrCreate(settings.ResolvedMasterKeyPath));
        builder.Services.AddSingleton(_ => new FileRepository(settings.FilesPath, settings.FileServing == FileServing.SharedFileSystem));
        builder.Services.AddSingleton<ConfigFacts>();
        builder.Services.AddSingleton<PackageImporter>();
        builder.Services.AddSingleton<AuditLog>();
        builder.Services.AddAccounts(builder.Configuration);
        ServerAuthentication.Add(builder.Services);
        builder.Services.AddSingleton<KeyExporter>();
        builder.Services.AddSingleton<TokenAdministration>();
        builder.Services.AddWebPages();
        CertificateEndpoints.AddServices(builder.Services);

        var app = builder.Build();
        app.UseSecurityHeaders();
        app.UseExceptionHandler(error => error.Run(WriteUnhandled));
        app.UseWebStaticFiles();
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        ServerEndpoints.Map(app);
        PackageEndpoints.Map(app);
        ConfigEndpoints.Map(app);
        DeviceEndpoints.Map(app);
        HostRecordEndpoints.Map(app);
        ExportEndpoints.Map(app);
        TokenEndpoints.Map(app);
        UserEndpoints.Map(app);
        AuditEndpoints.Map(app);
        app.MapWebPages();
        CertificateEndpoints.Map(app);
        Backup.BackupEndpoints.Map(app);
        app.MapFallback(context => ApiErrors.Write(context, StatusCodes.Status404NotFound, "NoSuchEndpoint",
            $"There is no endpoint {context.Request.Method} {context.Request.Path}; see docs/server-api.md.")).AllowAnyRole();
        return app;
    }

    /// <summary>
    /// Creates folders, clears staging left by a killed import, migrates the database, loads the master key and, on
    /// first start, creates the admin token. Throws <see cref="StartupException"/> with an operator message.
    /// </summary>
    public static async Task PrepareAsync(WebApplication app)
    {
        var settings = app.Services.GetRequiredService<IOptions<ServerSettings>>().Value;
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Provisioning.Server");
        OwnerOnlyFolder.Create(settings.DataPath);
        if (OwnerOnlyFolder.IsOpenToOthers(settings.DataPath))
        {
            // A data folder this server used before (an earlier version made it 0755) is tightened; a folder the
            // operator chose that holds other things is theirs to change, so it is only pointed out.
            if (File.Exists(settings.AdminTokenPath) && OwnerOnlyFolder.Restrict(settings.DataPath))
                log.LogInformation("Made the data folder {DataPath} owner-only; it was open to other accounts.", settings.DataPath);
            else
                log.LogWarning("The data folder {DataPath} is open to other accounts; make it owner-only (chmod 700 {DataPath}).", settings.DataPath, settings.DataPath);
        }
        if (Directory.Exists(settings.StagingPath))
            Directory.Delete(settings.StagingPath, recursive: true);
        OwnerOnlyFolder.Create(settings.StagingPath);
        SharedRepository.Prepare(settings);

        IProvStore store;
        // A spec that names no usable database: its message already says which forms are accepted.
        try { store = app.Services.GetRequiredService<IProvStore>(); }
        catch (ArgumentException ex) { throw new StartupException(ExceptionText.Of(ex), ex); }
        try
        {
            await store.MigrateAsync();
        }
        catch (Exception ex) when (ex is not StartupException)
        {
            throw new StartupException($"The database {StoreFactory.Describe(settings.Database, settings.DataPath)} cannot be used: {ExceptionText.Of(Innermost(ex))}", ex);
        }
        app.Services.GetRequiredService<MasterKey>();
        // An import this instance was running when it was killed holds its config claimed; nothing of it runs now.
        await app.Services.GetRequiredService<PackageImporter>().ReleaseLeftClaimsAsync();
        await EnsureAdminTokenAsync(store, settings, log);
        log.LogInformation("Provisioning server {Version}: data in {DataPath}, database {Database}", ServerInfo.Version, settings.DataPath,
            StoreFactory.Describe(settings.Database, settings.DataPath));
    }

    private static async Task EnsureAdminTokenAsync(IProvStore store, ServerSettings settings, ILogger log)
    {
        if (await store.HasAdminTokenAsync())
            return;
        string token = AccessToken.Create();
        await store.AddTokenAsync("admin (created on first start)", TokenRoles.Admin, AccessToken.Hash(token), DateTimeOffset.UtcNow);
        File.Delete(settings.AdminTokenPath);
        OwnerOnlyFile.CreateNew(settings.AdminTokenPath, Encoding.UTF8.GetBytes(token + "\n"));
        log.LogInformation("Created the admin token; it is in {Path}, readable by this account only.", settings.AdminTokenPath);
        // Shown once to a person at a terminal; never to a log or a redirected stream.
        if (!Console.IsOutputRedirected)
            Console.WriteLine($"Admin token (shown once; also in {settings.AdminTokenPath}): {token}");
    }

    private static async Task WriteUnhandled(HttpContext context)
    {
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        if (error is BadHttpRequestException bad)
        {
            await ApiErrors.Write(context, bad.StatusCode, "BadRequest", bad.Message);
            return;
        }
        if (DatabaseOutage.Is(error))
        {
            // The database (or this instance's node of a cluster) went away mid-request: say so, and let the client
            // send the request again; stations do (their calls are idempotent by request ID).
            await DatabaseOutage.ForgetConnectionsAsync();
            context.Response.Headers.RetryAfter = "1";
            await ApiErrors.Write(context, StatusCodes.Status503ServiceUnavailable, DatabaseOutage.ErrorId,
                "The database did not answer (a lost connection or a cluster node gone); nothing was changed unless a retry of the same request shows it was. Send the request again.");
            return;
        }
        await ApiErrors.Write(context, StatusCodes.Status500InternalServerError, "ServerError",
            "The server failed on this request; its log (logs/server.log in the data folder) says why.");
    }

    private static Exception Innermost(Exception ex) => ex.InnerException is { } inner && ex is AggregateException or TypeInitializationException ? Innermost(inner) : ex;

    /// <summary>
    /// The settings as the server reads them (settings file beside it, <c>--settings</c>, environment, command line),
    /// without building a web host: for commands such as <c>restore</c> that work on a server's data while it is stopped.
    /// </summary>
    public static ServerSettings LoadSettings(string[] args)
    {
        var configuration = new ConfigurationManager();
        configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, SettingsFileName), optional: true, reloadOnChange: false);
        if (SettingsFileArgument(args) is { } settingsFile)
            configuration.AddJsonFile(Path.GetFullPath(settingsFile), optional: false, reloadOnChange: false);
        configuration.AddEnvironmentVariables();
        configuration.AddCommandLine(args.Where((a, i) => a != "--settings" && (i == 0 || args[i - 1] != "--settings")).ToArray());
        var settings = configuration.GetSection(ServerSettings.Section).Get<ServerSettings>() ?? new ServerSettings();
        settings.DataPath = Path.GetFullPath(settings.DataPath);
        return settings;
    }

    private static string? SettingsFileArgument(string[] args)
    {
        int i = Array.IndexOf(args, "--settings");
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}

/// <summary>The server cannot start; the message says why and what to do.</summary>
public sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);
