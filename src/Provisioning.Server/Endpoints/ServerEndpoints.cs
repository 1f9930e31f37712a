using Microsoft.Extensions.Options;
using Provisioning.Core.Api;
using Provisioning.Server.Audit;
using Provisioning.Server.Auth;
using Provisioning.Server.Hosting;
using Provisioning.Server.Store;

namespace Provisioning.Server.Endpoints;

/// <summary>Health (no token), who am I (any token) and a clean stop (admin), which Start-ProvServer, Connect-ProvServer and Stop-ProvServer use.</summary>
public static class ServerEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        // Says nothing about the data: status, version, engine, process.
        app.MapGet(ApiRoutes.Health, (IProvStore store) =>
            Results.Json(new HealthInfo("ok", ServerInfo.Version, store.Engine, Environment.ProcessId), ApiJson.Options)).AllowWithoutToken();

        // Lets a client learn its token's role without probing an endpoint it may not call (which would log a refusal).
        app.MapGet(ApiRoutes.WhoAmI, (HttpContext context, IOptions<ServerSettings> settings) =>
        {
            var caller = Caller.Of(context)!;
            string? database = caller.Role == TokenRoles.Admin ? StoreFactory.Describe(settings.Value.Database, settings.Value.DataPath) : null;
            return Results.Json(new TokenIdentity(caller.Name, caller.Role, database), ApiJson.Options);
        }).AllowAnyRole(); // every role asks (Connect-ProvServer); a station token on a server requiring certificates learns it here

        app.MapPost(ApiRoutes.ServerStop, async (HttpContext context, IHostApplicationLifetime lifetime, AuditLog audit, ILogger<ServerInfo> log) =>
        {
            log.LogInformation("Stop requested by {Caller}", Caller.Of(context));
            await audit.RecordAsync(context, AuditActions.ServerStop, target: Environment.MachineName, detail: $"process {Environment.ProcessId}");
            context.Response.OnCompleted(() =>
            {
                lifetime.StopApplication();
                return Task.CompletedTask;
            });
            return Results.Accepted();
        }).RequireAdmin();
    }
}
