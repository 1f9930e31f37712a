using System.Net;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Provisioning.Core.Api;
using Provisioning.Server.Hosting;

namespace Provisioning.Server.Auth;

/// <summary>The authorization policies; every endpoint states one (see <see cref="AccessRules"/>).</summary>
public static class Policies
{
    /// <summary>Admins only.</summary>
    public const string Admin = "admin";
    /// <summary>Admins and exporters: read packages, configs and devices, export keys.</summary>
    public const string Exporter = "exporter";
    /// <summary>
    /// Admins and stations. With <see cref="ServerSettings.RequireClientCertificate"/> a station must have authenticated
    /// with its client certificate, not a token.
    /// </summary>
    public const string Station = "station";
    /// <summary>
    /// Any authenticated caller (whoami, unknown endpoints); a station still only by certificate when the server requires
    /// client certificates, so a station token learns that at its first call.
    /// </summary>
    public const string AnyRole = "any-role";
    /// <summary>Keys and passphrases: HTTPS, or plain HTTP from this machine, unless the operator allowed plain HTTP.</summary>
    public const string SecureChannel = "secure-channel";

    /// <summary>Registers the policies; anything that states none is admin-only.</summary>
    public static void Add(AuthorizationOptions options)
    {
        options.AddPolicy(Admin, p => p.RequireAuthenticatedUser().RequireRole(TokenRoles.Admin));
        options.AddPolicy(Exporter, p => p.RequireAuthenticatedUser().RequireRole(TokenRoles.Admin, TokenRoles.Exporter));
        options.AddPolicy(Station, p => p.RequireAuthenticatedUser().AddRequirements(new StationRequirement()));
        options.AddPolicy(AnyRole, p => p.RequireAuthenticatedUser().AddRequirements(new StationCertificateRequirement()));
        options.AddPolicy(SecureChannel, p => p.AddRequirements(new SecureChannelRequirement()));
        options.FallbackPolicy = options.GetPolicy(Admin);
    }
}

/// <summary>An admin, or a station (by certificate when the server requires client certificates).</summary>
public sealed class StationRequirement : IAuthorizationRequirement;

/// <summary>A station-role caller authenticated by certificate, when the server requires client certificates.</summary>
public sealed class StationCertificateRequirement : IAuthorizationRequirement;

/// <summary>The request came over HTTPS or loopback, or plain HTTP key transport was allowed.</summary>
public sealed class SecureChannelRequirement : IAuthorizationRequirement;

/// <summary>Decides <see cref="StationRequirement"/> and <see cref="SecureChannelRequirement"/>.</summary>
public sealed class AccessRequirementHandler(IOptions<ServerSettings> settings) : IAuthorizationHandler
{
    /// <inheritdoc/>
    public Task HandleAsync(AuthorizationHandlerContext context)
    {
        var http = context.Resource as HttpContext;
        foreach (var requirement in context.PendingRequirements.ToList())
        {
            if (requirement is StationRequirement && IsStationOrAdmin(context, settings.Value))
                context.Succeed(requirement);
            else if (requirement is StationCertificateRequirement && (!context.User.IsInRole(TokenRoles.Station) || IsStationOrAdmin(context, settings.Value)))
                context.Succeed(requirement);
            else if (requirement is SecureChannelRequirement && http is not null && IsSecureChannel(http, settings.Value))
                context.Succeed(requirement);
        }
        return Task.CompletedTask;
    }

    private static bool IsStationOrAdmin(AuthorizationHandlerContext context, ServerSettings settings)
    {
        if (context.User.IsInRole(TokenRoles.Admin))
            return true;
        if (!context.User.IsInRole(TokenRoles.Station))
            return false;
        return !settings.RequireClientCertificate || context.User.FindFirst(Caller.KindClaim)?.Value == CallerKinds.Certificate;
    }

    /// <summary>HTTPS, loopback, or plain HTTP allowed by the operator.</summary>
    public static bool IsSecureChannel(HttpContext context, ServerSettings settings) =>
        settings.AllowInsecureKeyTransport || context.Request.IsHttps
        || context.Connection.RemoteIpAddress is { } address && IPAddress.IsLoopback(address);
}

/// <summary>Endpoint conventions for the access rules: each endpoint states exactly who may call it.</summary>
public static class AccessRules
{
    /// <summary>Admins only.</summary>
    public static TBuilder RequireAdmin<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(Policies.Admin);

    /// <summary>Admins and exporters.</summary>
    public static TBuilder RequireExporter<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(Policies.Exporter);

    /// <summary>Any authenticated caller (stations by certificate when the server requires client certificates).</summary>
    public static TBuilder AllowAnyRole<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(Policies.AnyRole);

    /// <summary>Admins and stations.</summary>
    public static TBuilder AllowStations<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(Policies.Station);

    /// <summary>Anyone (health only).</summary>
    public static TBuilder AllowWithoutToken<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AllowAnonymous();

    /// <summary>Marks an endpoint that moves keys or passphrases: refused over plain HTTP from other machines unless allowed.</summary>
    public static TBuilder KeyTransport<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(Policies.SecureChannel);
}
