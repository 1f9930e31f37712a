using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Provisioning.Core.Api;
using Provisioning.Server.Accounts;
using Provisioning.Server.Audit;
using Provisioning.Server.Store;
using Provisioning.Server.Tests.Api;

namespace Provisioning.Server.Tests.Accounts;

/// <summary>Sign-in as the web login uses it, on a real server's store and audit log, on each engine; time is a clock the test moves.</summary>
public sealed class AccountSignInTests
{
    private const string Password = "correct horse battery";
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);

    private sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed record Rig(ServerUnderTest Server, AccountSignIn SignIn, Clock Clock, IProvStore Store);

    private static async Task<Rig> Start(string engine, SignInSettings? settings = null)
    {
        var server = await ServerUnderTest.StartAsync(await Engines.FreshDatabaseAsync(engine));
        settings ??= new SignInSettings();
        var clock = new Clock(T0);
        var store = server.Services.GetRequiredService<IProvStore>();
        var signIn = new AccountSignIn(store, server.Services.GetRequiredService<AuditLog>(), server.Services.GetRequiredService<PasswordHashing>(),
            new SignInThrottle(settings), Options.Create(settings), clock, NullLogger<AccountSignIn>.Instance);
        return new Rig(server, signIn, clock, store);
    }

    private static async Task AddUser(Rig rig, string name, string role = TokenRoles.Admin, string password = Password) =>
        await rig.Store.AddUserAsync(name, role, rig.Server.Services.GetRequiredService<PasswordHashing>().Hash(password), T0);

    [Theory, MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task The_right_password_signs_in_and_every_wrong_answer_reads_the_same(string engine)
    {
        var rig = await Start(engine);
        await using var _ = rig.Server;
        await AddUser(rig, "alice", TokenRoles.Exporter);
        await AddUser(rig, "bob");
        await rig.Store.UpdateUserAsync("bob", new StoredUserChange(Disabled: true), T0);

        // Names are case-insensitive; the caller carries the account's role and the client's address.
        var ok = await rig.SignIn.SignInAsync("Alice", Password, "10.1.2.3", default);
        Assert.True(ok.Succeeded, ok.Message);
        Assert.Equal(("user", "alice", TokenRoles.Exporter, "10.1.2.3"), (ok.Caller!.Kind, ok.Caller.Name, ok.Caller.Role, ok.Caller.Address));
        Assert.Equal(T0, (await rig.Store.FindUserAsync("alice"))!.Info.LastLogin);

        // Wrong password, unknown name, disabled account (even with its right password), empty password: one message.
        foreach (var (name, password) in new[] { ("alice", "correct horse battery!"), ("carol", Password), ("bob", Password), ("alice", "") })
        {
            var failed = await rig.SignIn.SignInAsync(name, password, "10.1.2.3", default);
            Assert.False(failed.Succeeded);
            Assert.Null(failed.Caller);
            Assert.Equal(AccountSignIn.FailedMessage, failed.Message);
        }

        // Audited: who signed in from where, and each failure with the name tried and why; never a password.
        var audit = await rig.Store.ReadAuditAsync(new AuditQuery(Action: "login*"));
        Assert.Equal(["login.failed", "login.failed", "login.failed", "login.failed", "login"], audit.Select(e => e.Action));
        var login = audit[^1];
        Assert.Equal(("user", "alice", "10.1.2.3", true), (login.ActorKind, login.ActorName, login.Address, login.Succeeded));
        Assert.Equal(["alice", "carol", "bob", "alice"], audit.Take(4).Reverse().Select(e => e.ActorName));
        Assert.Equal(["wrong password", "no such user", "account disabled", "not a valid user name or password"], audit.Take(4).Reverse().Select(e => e.Detail));
        Assert.All(audit.Take(4), e => Assert.Equal((null, false, "10.1.2.3"), (e.ActorKind, e.Succeeded, e.Address)));
        Assert.All(audit, e => Assert.DoesNotContain("horse", e.Detail + e.Target + e.ActorName));
    }

    [Theory, MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task Repeated_failures_lock_an_account_for_an_escalating_time_and_a_success_resets_them(string engine)
    {
        var rig = await Start(engine);
        await using var _ = rig.Server;
        await AddUser(rig, "alice");

        for (int i = 0; i < 5; i++)
            Assert.Equal(AccountSignIn.FailedMessage, (await rig.SignIn.SignInAsync("alice", "wrong password " + i, $"10.0.0.{i}", default)).Message);
        // Locked for a minute: even the right password, from another address, is refused with the throttled message.
        var locked = await rig.SignIn.SignInAsync("alice", Password, "10.0.9.9", default);
        Assert.False(locked.Succeeded);
        Assert.Equal(AccountSignIn.ThrottledMessage, locked.Message);
        Assert.Equal(T0.AddMinutes(1), (await rig.Store.FindUserAsync("alice"))!.Info.LockedUntil);

        // After the lock, one more failure locks it again for twice as long.
        rig.Clock.Now = T0.AddSeconds(61);
        Assert.Equal(AccountSignIn.FailedMessage, (await rig.SignIn.SignInAsync("alice", "wrong again", "10.0.9.9", default)).Message);
        Assert.Equal(rig.Clock.Now.AddMinutes(2), (await rig.Store.FindUserAsync("alice"))!.Info.LockedUntil);
        rig.Clock.Now = rig.Clock.Now.AddSeconds(119);
        Assert.Equal(AccountSignIn.ThrottledMessage, (await rig.SignIn.SignInAsync("alice", Password, "10.0.9.9", default)).Message);

        rig.Clock.Now = rig.Clock.Now.AddSeconds(2);
        Assert.True((await rig.SignIn.SignInAsync("alice", Password, "10.0.9.9", default)).Succeeded);
        var after = (await rig.Store.FindUserAsync("alice"))!;
        Assert.Equal((0, (DateTimeOffset?)null), (after.FailedLogins, after.Info.LockedUntil));

        // An admin's password reset lifts a lock at once.
        for (int i = 0; i < 5; i++)
            await rig.SignIn.SignInAsync("alice", "wrong password " + i, "10.0.0.1", default);
        Assert.Equal(AccountSignIn.ThrottledMessage, (await rig.SignIn.SignInAsync("alice", Password, "10.0.0.1", default)).Message);
        await rig.Store.UpdateUserAsync("alice", new StoredUserChange(PasswordHash: rig.Server.Services.GetRequiredService<PasswordHashing>().Hash("a new passphrase")), rig.Clock.Now);
        Assert.True((await rig.SignIn.SignInAsync("alice", "a new passphrase", "10.0.0.2", default)).Succeeded);
    }

    [Theory, MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task A_name_without_an_account_is_locked_like_one_so_a_lock_does_not_reveal_a_name(string engine)
    {
        var rig = await Start(engine);
        await using var _ = rig.Server;
        for (int i = 0; i < 5; i++)
            await rig.SignIn.SignInAsync("mallory", "guess " + i, $"10.0.1.{i}", default);
        Assert.Equal(AccountSignIn.ThrottledMessage, (await rig.SignIn.SignInAsync("mallory", "guess 6", "10.0.1.9", default)).Message);
        rig.Clock.Now = T0.AddSeconds(61);
        Assert.Equal(AccountSignIn.FailedMessage, (await rig.SignIn.SignInAsync("mallory", "guess 7", "10.0.1.9", default)).Message);
    }

    [Theory, MemberData(nameof(Engines.All), MemberType = typeof(Engines))]
    public async Task Failures_from_one_address_throttle_that_address_for_every_name_until_they_leave_the_window(string engine)
    {
        var rig = await Start(engine, new SignInSettings { AddressFailures = 4, AddressWindowSeconds = 600 });
        await using var _ = rig.Server;
        await AddUser(rig, "alice");

        for (int i = 0; i < 4; i++)
        {
            rig.Clock.Now = T0.AddMinutes(i);
            await rig.SignIn.SignInAsync("user" + i, "guess", "192.0.2.7", default);
        }
        Assert.Equal(AccountSignIn.ThrottledMessage, (await rig.SignIn.SignInAsync("alice", Password, "192.0.2.7", default)).Message);
        // The same client over an IPv6 socket is the same address.
        Assert.Equal(AccountSignIn.ThrottledMessage, (await rig.SignIn.SignInAsync("alice", Password, "::ffff:192.0.2.7", default)).Message);
        // Another address is not held up; the account itself has no failures.
        Assert.True((await rig.SignIn.SignInAsync("alice", Password, "192.0.2.8", default)).Succeeded);
        // Ten minutes after the first failure, it leaves the window and the address may try again.
        rig.Clock.Now = T0.AddMinutes(10);
        Assert.True((await rig.SignIn.SignInAsync("alice", Password, "192.0.2.7", default)).Succeeded);
    }

    [Fact]
    public void Passwords_are_stored_as_pbkdf2_hashes_of_600000_iterations_and_weaker_ones_are_rehashed()
    {
        var hashing = new PasswordHashing();
        string hash = hashing.Hash(Password);
        byte[] raw = Convert.FromBase64String(hash);
        Assert.Equal(0x01, raw[0]); // Identity v3 format
        Assert.Equal(600_000, (raw[5] << 24) | (raw[6] << 16) | (raw[7] << 8) | raw[8]);
        Assert.DoesNotContain(Password, hash);
        Assert.NotEqual(hash, hashing.Hash(Password)); // salted

        Assert.True(hashing.Verify(hash, Password, out var rehashed));
        Assert.Null(rehashed);
        Assert.False(hashing.Verify(hash, Password + " ", out _));
        Assert.False(hashing.Verify("not a hash", Password, out _));

        // A hash made with the library's default count (100,000) still verifies and comes back stronger.
        var weak = new Microsoft.AspNetCore.Identity.PasswordHasher<StoredUser>().HashPassword(null!, Password);
        Assert.True(hashing.Verify(weak, Password, out rehashed));
        Assert.NotNull(rehashed);
        byte[] stronger = Convert.FromBase64String(rehashed);
        Assert.Equal(600_000, (stronger[5] << 24) | (stronger[6] << 16) | (stronger[7] << 8) | stronger[8]);
    }

    [Theory]
    [InlineData("alice", "short", "too short")]
    [InlineData("alice", "aaaaaaaaaaaaaaaa", "repeats")]
    [InlineData("averylongname", "AVERYLONGNAME", "user name")]
    [InlineData("alice", "              ", "white space")]
    public void The_password_policy_says_what_is_wrong(string name, string password, string expected)
    {
        Assert.Contains(expected, AccountRules.PasswordProblem(name, password));
        Assert.Null(AccountRules.PasswordProblem("alice", Password));
        Assert.Null(AccountRules.NormaliseName("two words"));
        Assert.Equal("j.smith@line-1", AccountRules.NormaliseName(" J.Smith@Line-1 "));
    }
}
