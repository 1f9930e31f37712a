using System.Net;
using Microsoft.Extensions.Options;
using Provisioning.Core.Api;
using Provisioning.Server.Audit;
using Provisioning.Server.Auth;
using Provisioning.Server.Store;

namespace Provisioning.Server.Accounts;

/// <summary>What a sign-in came to: the caller on success; a message to show the person either way.</summary>
/// <param name="Succeeded">Whether the name and password were right for an enabled, unlocked account.</param>
/// <param name="Caller">The signed-in user (kind <c>user</c>), for the cookie; null on failure.</param>
/// <param name="Message">What to show. Every failure but throttling has the same text, so it tells nothing about which part was wrong.</param>
public sealed record SignInOutcome(bool Succeeded, Caller? Caller, string Message);

/// <summary>
/// Signs people in with a user name and password (the web login). A failure says only that it failed — never whether
/// the name exists, the password was wrong or the account is disabled — and is throttled: per account in the database
/// (<see cref="SignInSettings.AccountFailures"/> failures lock it for an escalating period, on every server instance),
/// and per client address in memory (a sliding window). Names without an account are locked by the same schedule, so a
/// lock does not reveal that a name exists. Every attempt is audited (<c>login</c>, <c>login.failed</c> with the name
/// tried and the address; never the password).
/// </summary>
public sealed class AccountSignIn(IProvStore store, AuditLog audit, PasswordHashing hashing, SignInThrottle throttle, IOptions<SignInSettings> options,
    TimeProvider time, ILogger<AccountSignIn> log)
{
    /// <summary>The answer to every failed sign-in that is not throttled.</summary>
    public const string FailedMessage = "The user name or password is wrong, or the account is disabled.";

    /// <summary>The answer while an account or an address is throttled.</summary>
    public const string ThrottledMessage = "Too many failed sign-ins: sign-in is paused for a while. Wait a few minutes, then try again.";

    private readonly SignInSettings _settings = options.Value;

    /// <summary>Checks a name and password; <paramref name="address"/> is the client's IP address as text (null when unknown).</summary>
    public async Task<SignInOutcome> SignInAsync(string name, string password, string? address, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        // One form per address (an IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d), for the throttle and the audit log alike.
        if (IPAddress.TryParse(address, out var ip) && ip.IsIPv4MappedToIPv6)
            address = ip.MapToIPv4().ToString();
        string addressKey = address ?? "";
        string tried = Shorten(name?.Trim() ?? "");
        var normalised = AccountRules.NormaliseName(name);

        if (throttle.AddressThrottledUntil(addressKey, now) is not null)
            return await FailAsync(tried, address, "throttled: too many failures from this address", throttled: true, ct);

        if (normalised is null || string.IsNullOrEmpty(password) || password.Length > AccountRules.MaximumPasswordLength)
        {
            throttle.AddressFailed(addressKey, now);
            return await FailAsync(tried, address, "not a valid user name or password", throttled: false, ct);
        }

        var user = await store.FindUserAsync(normalised, ct);
        if (user is null)
        {
            if (throttle.UnknownNameLockedUntil(normalised, now) is not null)
                return await FailAsync(tried, address, "throttled: no such user, locked after failures", throttled: true, ct);
            hashing.VerifyDecoy(password);
            throttle.UnknownNameFailed(normalised, now);
            throttle.AddressFailed(addressKey, now);
            return await FailAsync(tried, address, "no such user", throttled: false, ct);
        }

        if (user.Info.LockedUntil > now)
            return await FailAsync(tried, address, $"throttled: account locked until {user.Info.LockedUntil:O}", throttled: true, ct);

        bool matches = hashing.Verify(user.PasswordHash, password, out var rehashed);
        if (!matches || user.Info.Disabled)
        {
            throttle.AddressFailed(addressKey, now);
            var (failures, lockedUntil) = await store.RecordLoginFailureAsync(user.Info.Id, now, _settings.LockFor, ct);
            string reason = !matches ? "wrong password" : "account disabled";
            if (lockedUntil is not null)
            {
                log.LogWarning("User {UserName} locked until {LockedUntil} after {Failures} failed sign-ins", user.Info.Name, lockedUntil, failures);
                reason += $"; {failures} failures in a row, locked until {lockedUntil:O}";
            }
            return await FailAsync(tried, address, reason, throttled: false, ct);
        }

        await store.RecordLoginSuccessAsync(user.Info.Id, now, rehashed, ct);
        var caller = new Caller(CallerKinds.User, user.Info.Id, user.Info.Name, user.Info.Role, address);
        await audit.RecordAsync(caller, address, AuditActions.Login, target: user.Info.Name);
        log.LogInformation("User {UserName} ({Role}) signed in from {Address}", user.Info.Name, user.Info.Role, address);
        return new SignInOutcome(true, caller, $"Signed in as {user.Info.Name}.");
    }

    private async Task<SignInOutcome> FailAsync(string tried, string? address, string reason, bool throttled, CancellationToken ct)
    {
        // The reason is for admins reading the audit log; the person signing in sees one generic message. The entry is
        // anonymous (no actor kind or ID) but names the name tried, so Get-ProvAuditLog -User finds the failures against an account.
        try
        {
            await store.AppendAuditAsync(new AuditEntry(0, time.GetUtcNow(), null, null, tried, address, AuditActions.LoginFailed, tried, reason, false),
                CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            log.LogError("Could not write the audit entry {Action} for {UserName}: {Reason}", AuditActions.LoginFailed, tried, ex.Message);
        }
        log.LogInformation("Failed sign-in as {UserName} from {Address}: {Reason}", tried, address, reason);
        return new SignInOutcome(false, null, throttled ? ThrottledMessage : FailedMessage);
    }

    private static string Shorten(string text) => text.Length <= AccountRules.MaximumNameLength * 2 ? text : text[..(AccountRules.MaximumNameLength * 2)] + "…";
}
