using System.Security.Cryptography.X509Certificates;

namespace Provisioning.Server.Auth;

/// <summary>
/// Decides whether a client certificate whose chain leads to the server's CA belongs to a station that may call: the
/// certificate scheme asks it on every request (no cache, so a revocation takes effect at once everywhere).
/// </summary>
public interface IStationCertificateValidator
{
    /// <summary>The station caller, or null when refused; Refusal then says why, for the operator.</summary>
    Task<(Caller? Caller, string? Refusal)> ValidateAsync(X509Certificate2 certificate, HttpContext context);
}
