using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;
using Provisioning.Core.Api;
using Provisioning.Server.Auth;
using Provisioning.Server.Endpoints;
using Provisioning.Server.Import;
using Provisioning.Server.Keys;
using Provisioning.Server.Repository;
using Provisioning.Server.Store;

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

        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["Kestrel:Endpoints"]))
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
        builder.Services.AddSingleton(_ => new FileRepository(settings.FilesPath));
        builder.Services.AddSingleton<ConfigFacts>();
        builder.Services.AddSingleton<PackageImporter>();
        builder.Services.AddSingleton<TokenAuthentication>();

        var app = builder.Build();
        app.UseExceptionHandler(error => error.Run(WriteUnhandled));
        app.UseRouting();
        app.UseMiddleware<TokenAuthentication>();
        ServerEndpoints.Map(app);
        PackageEndpoints.Map(app);
        ConfigEndpoints.Map(app);
        DeviceEndpoints.Map(app);
        ExportEndpoints.Map(app);
        TokenEndpoints.Map(app);
        app.MapFallback(context => ApiErrors.Write(context, StatusCodes.Status404NotFound, "NoSuchEndpoint",
            $"There is no endpoint {context.Request.Method} {context.Request.Path}; see docs/server-api.md."));
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
        CreatePrivateFolder(settings.DataPath);
        if (Directory.Exists(settings.StagingPath))
            Directory.Delete(settings.StagingPath, recursive: true);
        Directory.CreateDirectory(settings.StagingPath);
        Directory.CreateDirectory(settings.FilesPath);

        IProvStore store;
        try
        {
            store = app.Services.GetRequiredService<IProvStore>();
            await store.MigrateAsync();
        }
        catch (Exception ex) when (ex is not StartupException)
        {
            throw new StartupException($"The database {Describe(settings.Database)} cannot be used: {Innermost(ex).Message}", ex);
        }
        app.Services.GetRequiredService<MasterKey>();
        await EnsureAdminTokenAsync(store, settings, log);
        log.LogInformation("Provisioning server {Version}: data in {DataPath}, database {Database}", ServerInfo.Version, settings.DataPath,
            Describe(settings.Database));
    }

    /// <summary>The database spec without secrets; a spec too malformed to describe is shown only by its engine prefix.</summary>
    private static string Describe(string spec)
    {
        try
        {
            return StoreFactory.Describe(spec);
        }
        catch (ArgumentException)
        {
            return $"'{spec.Split(';')[0]}'";
        }
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

    private static void CreatePrivateFolder(string path)
    {
        if (Directory.Exists(path))
            return;
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(path);
        else
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static Task WriteUnhandled(HttpContext context)
    {
        var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
        if (error is BadHttpRequestException bad)
            return ApiErrors.Write(context, bad.StatusCode, "BadRequest", bad.Message);
        return ApiErrors.Write(context, StatusCodes.Status500InternalServerError, "ServerError",
            "The server failed on this request; its log (logs/server.log in the data folder) says why.");
    }

    private static Exception Innermost(Exception ex) => ex.InnerException is { } inner && ex is AggregateException or TypeInitializationException ? Innermost(inner) : ex;

    private static string? SettingsFileArgument(string[] args)
    {
        int i = Array.IndexOf(args, "--settings");
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}

/// <summary>The server cannot start; the message says why and what to do.</summary>
public sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);
