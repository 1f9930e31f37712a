using System.Globalization;
using System.Security.Claims;

namespace Provisioning.Server.Auth;

/// <summary>
/// Who made a request, as every endpoint, the audit log and the device records see it: a token, a signed-in user or a
/// station certificate, with its role and the client's address.
/// </summary>
/// <param name="Kind"><see cref="CallerKinds.Token"/>, <see cref="CallerKinds.User"/> or <see cref="CallerKinds.Certificate"/>.</param>
/// <param name="Id">The token, user or certificate ID in the database.</param>
/// <param name="Name">Its name (token name, user name, certificate name).</param>
/// <param name="Role">admin, exporter or station (<see cref="Provisioning.Core.Api.TokenRoles"/>).</param>
/// <param name="Address">The client's IP address.</param>
public sealed record Caller(string Kind, long? Id, string Name, string Role, string? Address)
{
    /// <summary>Claim type of the caller kind.</summary>
    public const string KindClaim = "prov:kind";
    /// <summary>Claim type of the database ID.</summary>
    public const string IdClaim = "prov:id";

    /// <summary>The authenticated caller of a request; null when anonymous.</summary>
    public static Caller? Of(HttpContext context)
    {
        var user = context.User;
        if (user.Identity is not { IsAuthenticated: true } || user.FindFirst(KindClaim)?.Value is not { } kind)
            return null;
        long? id = long.TryParse(user.FindFirst(IdClaim)?.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long parsed) ? parsed : null;
        return new Caller(kind, id, user.Identity.Name ?? "", user.FindFirst(ClaimTypes.Role)?.Value ?? "", AddressOf(context));
    }

    /// <summary>The client's address as recorded (IPv4-mapped IPv6 shown as IPv4).</summary>
    public static string? AddressOf(HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress;
        if (address is null) return null;
        return (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
    }

    /// <summary>The principal an authentication handler or the web login issues for a caller.</summary>
    public static ClaimsPrincipal Principal(string kind, long? id, string name, string role, string scheme)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.Name, name),
            new(ClaimTypes.Role, role),
            new(KindClaim, kind),
        };
        if (id is { } value)
            claims.Add(new Claim(IdClaim, value.ToString(CultureInfo.InvariantCulture)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, ClaimTypes.Name, ClaimTypes.Role));
    }

    /// <summary>How the caller is shown in messages and logs: "station token 'line 1'".</summary>
    public override string ToString() => $"{Role} {Kind} '{Name}'";
}

/// <summary>The kinds of <see cref="Caller"/>.</summary>
public static class CallerKinds
{
    /// <summary>A bearer token.</summary>
    public const string Token = "token";
    /// <summary>A user signed in to the web pages.</summary>
    public const string User = "user";
    /// <summary>A station client certificate.</summary>
    public const string Certificate = "certificate";
    /// <summary>
    /// A client certificate whose chain leads to the server's CA, not yet looked up in the database: no role, so no
    /// policy admits it; <see cref="StationCertificateCheck"/> turns it into a station or an anonymous caller.
    /// </summary>
    public const string UncheckedCertificate = "certificate-chain";
}
