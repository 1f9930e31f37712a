using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Certificate;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.Options;
using Provisioning.Server.Hosting;

namespace Provisioning.Server.Auth;

/// <summary>
/// Registers the server's authentication (bearer token, station certificate, web cookie, chosen per request by the
/// default policy scheme) and authorization (the role policies and their answers).
/// </summary>
public static class ServerAuthentication
{
    /// <summary>Name of the web session cookie.</summary>
    public const string CookieName = "prov_session";

    /// <summary>How long a web session lasts without use.</summary>
    public static readonly TimeSpan SessionIdle = TimeSpan.FromHours(8);

    /// <summary>Adds authentication and authorization services.</summary>
    public static void Add(IServiceCollection services)
    {
        // One change count per request keeps every instance's caches coherent (ChangeWatch); stores without one never move it.
        services.AddSingleton(sp => sp.GetRequiredService<Store.IProvStore>() as Store.ISharedChanges ?? new NoSharedChanges());
        services.AddSingleton<ChangeWatch>();
        services.AddSingleton<TokenCache>();
        services.AddHttpContextAccessor();
        services.AddTransient<IClaimsTransformation, StationCertificateCheck>();
        services.AddSingleton<IAuthorizationHandler, AccessRequirementHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ApiAuthorizationResultHandler>();
        services.AddAuthorization(Policies.Add);

        services.AddAuthentication(AuthSchemes.Default)
            .AddPolicyScheme(AuthSchemes.Default, "Provisioning", o => o.ForwardDefaultSelector = SelectScheme)
            .AddScheme<BearerTokenOptions, BearerTokenHandler>(AuthSchemes.Bearer, _ => { })
            .AddCertificate(AuthSchemes.Certificate, o =>
            {
                // The chain must lead to the server's own CA (configured with the CA by the TLS setup); revocation is the
                // database's station_certificates table, checked by IStationCertificateValidator on every request.
                o.AllowedCertificateTypes = CertificateTypes.Chained;
                o.ChainTrustValidationMode = X509ChainTrustMode.CustomRootTrust;
                o.RevocationMode = X509RevocationMode.NoCheck;
                o.ValidateCertificateUse = true;
                o.ValidateValidityPeriod = true;
                o.Events = new CertificateAuthenticationEvents { OnCertificateValidated = MarkChainValid };
            })
            // Building a chain costs more than the rest of a station's call; its outcome depends only on the certificate.
            .AddCertificateCache(o =>
            {
                o.CacheSize = 4096;
                o.CacheEntryExpiration = TimeSpan.FromMinutes(10);
            })
            .AddCookie(AuthSchemes.Cookie, o =>
            {
                o.Cookie.Name = CookieName;
                o.Cookie.Path = WebPaths.Root;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.LoginPath = WebPaths.Login;
                o.LogoutPath = WebPaths.Root + "/logout";
                o.AccessDeniedPath = WebPaths.Denied;
                o.ExpireTimeSpan = SessionIdle;
                o.SlidingExpiration = true;
            });
    }

    // Web pages use the cookie; API calls a bearer token when they carry one, else the connection's client certificate.
    private static string SelectScheme(HttpContext context)
    {
        if (WebPaths.IsWeb(context.Request))
            return AuthSchemes.Cookie;
        if (context.Request.Headers.Authorization.Count > 0)
            return AuthSchemes.Bearer;
        return context.Connection.ClientCertificate is not null ? AuthSchemes.Certificate : AuthSchemes.Bearer;
    }

    // The chain led to the server's CA. Whether the certificate is a station's is asked of the database on every request
    // (StationCertificateCheck), after this result, which the handler caches per certificate so the chain is not rebuilt
    // for each call of a station's connection.
    private static Task MarkChainValid(CertificateValidatedContext context)
    {
        string name = context.ClientCertificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        context.Principal = Caller.Principal(CallerKinds.UncheckedCertificate, null, name, "", context.Scheme.Name);
        context.Success();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Why the certificate handler refused a client certificate before the station check (it says only "failed
    /// validation"): expired, not yet valid, not for client authentication, or not issued by this server's CA.
    /// </summary>
    public static string DescribeCertificateProblem(X509Certificate2 certificate, CertificateAuthenticationOptions options)
    {
        string subject = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        var now = DateTime.Now;
        if (certificate.NotAfter < now)
            return $"The client certificate '{subject}' expired on {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm} UTC; issue the station a new one (New-ProvStationCertificate).";
        if (certificate.NotBefore > now)
            return $"The client certificate '{subject}' is not valid before {certificate.NotBefore.ToUniversalTime():yyyy-MM-dd HH:mm} UTC; check the clocks of the station and the server.";
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.AddRange(options.CustomTrustStore);
        if (options.CustomTrustStore.Count == 0 || !chain.Build(certificate))
            return $"The client certificate '{subject}' (issued by '{certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: true)}') was not issued by this server's CA; use a station certificate from New-ProvStationCertificate.";
        return $"The client certificate '{subject}' is not a client-authentication certificate of this server; use a station certificate from New-ProvStationCertificate.";
    }
}
