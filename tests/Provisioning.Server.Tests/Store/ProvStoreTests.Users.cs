using Provisioning.Core.Api;
using Provisioning.Server.Store;
using static Provisioning.Server.Tests.Store.StoreTestData;

namespace Provisioning.Server.Tests.Store;

public abstract partial class ProvStoreTests
{
    private const string SomeHash = "AQAAAAIAAAAAAAknwAAAABAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    [StoreFact]
    public async Task Users_are_added_found_changed_and_removed_and_a_name_is_taken_whatever_its_case()
    {
        var alice = await Store.AddUserAsync("alice", TokenRoles.Exporter, SomeHash, T0);
        await Store.AddUserAsync("bob", TokenRoles.Admin, SomeHash + "b", T0.AddMinutes(1));
        await Assert.ThrowsAsync<UserExistsException>(() => Store.AddUserAsync("ALICE", TokenRoles.Admin, SomeHash, T0));

        var found = (await Store.FindUserAsync("alice"))!;
        Assert.Equal((alice, SomeHash, 0), (found.Info, found.PasswordHash, found.FailedLogins));
        Assert.DoesNotContain(SomeHash, found.ToString()); // the hash stays out of logs and assertion messages
        Assert.Null(await Store.FindUserAsync("carol"));
        Assert.Equal(["alice", "bob"], (await Store.ListUsersAsync()).Select(u => u.Name));

        var disabled = await Store.UpdateUserAsync("alice", new StoredUserChange(Disabled: true, Role: TokenRoles.Admin), T0.AddHours(1));
        Assert.Equal((true, TokenRoles.Admin, T0.AddHours(1), T0), (disabled!.Disabled, disabled.Role, disabled.Updated, disabled.Created));
        Assert.Equal(SomeHash, (await Store.FindUserAsync("alice"))!.PasswordHash);
        Assert.Null(await Store.UpdateUserAsync("carol", new StoredUserChange(Disabled: true), T0));

        Assert.True(await Store.RemoveUserAsync("alice"));
        Assert.False(await Store.RemoveUserAsync("alice"));
        Assert.Equal(["bob"], (await Store.ListUsersAsync()).Select(u => u.Name));
    }

    [StoreFact]
    public async Task Failed_sign_ins_from_several_servers_at_once_all_count_and_lock_the_account()
    {
        var user = await Store.AddUserAsync("alice", TokenRoles.Admin, SomeHash, T0);
        var other = OpenStore(Spec); // a second server instance on the same database
        TimeSpan? LockAtFive(int failures) => failures >= 5 ? TimeSpan.FromMinutes(failures - 4) : null;

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            (i % 2 == 0 ? Store : other).RecordLoginFailureAsync(user.Id, T0, LockAtFive)));
        Assert.Equal(Enumerable.Range(1, 8), results.Select(r => r.FailedLogins).Order());
        Assert.Equal(T0.AddMinutes(4), results.Single(r => r.FailedLogins == 8).LockedUntil);
        Assert.All(results.Where(r => r.FailedLogins < 5), r => Assert.Null(r.LockedUntil));
        var locked = (await other.FindUserAsync("alice"))!;
        Assert.Equal((8, T0.AddMinutes(4)), (locked.FailedLogins, locked.Info.LockedUntil));

        // A success clears both and keeps a rehashed password; a reset by an admin clears them too.
        await Store.RecordLoginSuccessAsync(user.Id, T0.AddMinutes(5), SomeHash + "x");
        var after = (await Store.FindUserAsync("alice"))!;
        Assert.Equal((0, (DateTimeOffset?)null, T0.AddMinutes(5), SomeHash + "x"), (after.FailedLogins, after.Info.LockedUntil, after.Info.LastLogin, after.PasswordHash));
        await Store.RecordLoginSuccessAsync(user.Id, T0.AddMinutes(6), null);
        Assert.Equal(SomeHash + "x", (await Store.FindUserAsync("alice"))!.PasswordHash);

        await Store.RecordLoginFailureAsync(user.Id, T0, LockAtFive);
        await Store.UpdateUserAsync("alice", new StoredUserChange(PasswordHash: SomeHash), T0.AddMinutes(7));
        Assert.Equal(0, (await Store.FindUserAsync("alice"))!.FailedLogins);
    }
}
