using Provisioning.Core.Api;
using Provisioning.Server.Store;
using static Provisioning.Server.Tests.Store.StoreTestData;

namespace Provisioning.Server.Tests.Store;

// What several server instances on one database agree on through it (schema 6): the change count and import claims.
public abstract partial class ProvStoreTests
{
    private ISharedChanges Shared => (ISharedChanges)Store;

    private async Task<long> MovedByAsync(Func<Task> change)
    {
        long before = await Shared.GetChangeCountAsync();
        await change();
        return await Shared.GetChangeCountAsync() - before;
    }

    [StoreFact]
    public async Task The_change_count_moves_with_every_change_an_instance_may_have_cached_and_with_nothing_else()
    {
        var token = await Store.AddTokenAsync("line 1", TokenRoles.Station, Hash("cc1"), T0);
        Assert.True(await MovedByAsync(() => Store.RevokeTokenAsync(token.Id, T0.AddHours(1))) > 0);
        Assert.Equal(0, await MovedByAsync(() => Store.RevokeTokenAsync(token.Id, T0.AddHours(2))));   // already revoked: nothing changed

        var user = await Store.AddUserAsync("erin", TokenRoles.Exporter, "hash-1", T0);
        Assert.True(await MovedByAsync(() => Store.UpdateUserAsync("erin", new StoredUserChange(Disabled: true), T0.AddHours(1))) > 0);
        Assert.True(await MovedByAsync(() => Store.UpdateUserAsync("erin", new StoredUserChange(PasswordHash: "hash-2"), T0.AddHours(2))) > 0);
        Assert.True(await MovedByAsync(() => Store.UpdateUserAsync("erin", new StoredUserChange(Role: TokenRoles.Admin), T0.AddHours(3))) > 0);
        // A failed sign-in is not something an instance keeps.
        Assert.Equal(0, await MovedByAsync(() => Store.RecordLoginFailureAsync(user.Id, T0.AddHours(4), _ => null)));
        Assert.True(await MovedByAsync(() => Store.RemoveUserAsync("erin")) > 0);

        var certificate = await Store.AddStationCertificateAsync(new NewStationCertificate("line 2", "0A1B", new string('a', 64), T0, T0.AddDays(30), T0, "admin"));
        Assert.True(await MovedByAsync(() => Store.RevokeStationCertificateAsync(certificate.Id, T0.AddHours(1), "admin")) > 0);

        // An import (a re-import may bring a new KMS key) and the alias moves it makes.
        Assert.True(await MovedByAsync(() => Store.AddPackageAsync(Package(69, ["kite_170"]))) > 0);
        Assert.True(await MovedByAsync(() => Store.AddPackageAsync(Package(69, ["meter_69"]))) > 0);

        // Station work moves nothing, so instances keep their caches under load.
        Assert.Equal(0, await MovedByAsync(async () =>
        {
            var request = Guid.NewGuid();
            await Store.RecordDeviceAsync(0x100, request, Device(69), T0.AddHours(5));
            await Store.ConfirmDeviceAsync(0x100, request, T0.AddHours(5));
        }));
    }

    [StoreFact]
    public async Task A_second_instance_sees_the_count_another_moved()
    {
        var other = (ISharedChanges)OpenStore(Spec);
        long seen = await other.GetChangeCountAsync();
        var token = await Store.AddTokenAsync("line 1", TokenRoles.Station, Hash("cc2"), T0);
        await Store.RevokeTokenAsync(token.Id, T0.AddHours(1));
        Assert.True(await other.GetChangeCountAsync() > seen);
    }

    [StoreFact]
    public async Task One_import_claim_per_config_until_released_or_stale()
    {
        var other = (ISharedChanges)OpenStore(Spec);
        var lifetime = TimeSpan.FromMinutes(5);
        Assert.True(await Shared.TryClaimImportAsync(69, "claim-a", T0, lifetime));
        Assert.False(await other.TryClaimImportAsync(69, "claim-b", T0.AddMinutes(1), lifetime));
        Assert.True(await other.TryClaimImportAsync(70, "claim-c", T0.AddMinutes(1), lifetime));   // another config

        // Renewed, the claim holds past its first lifetime; released, the config is free.
        await Shared.RenewImportClaimsAsync(["claim-a"], T0.AddMinutes(4));
        Assert.False(await other.TryClaimImportAsync(69, "claim-b", T0.AddMinutes(8), lifetime));
        await other.ReleaseImportClaimAsync(69, "claim-b");   // not its claim: nothing happens
        Assert.False(await other.TryClaimImportAsync(69, "claim-b", T0.AddMinutes(8), lifetime));
        await Shared.ReleaseImportClaimAsync(69, "claim-a");
        Assert.True(await other.TryClaimImportAsync(69, "claim-b", T0.AddMinutes(8), lifetime));

        // A claim nobody renewed (its server died mid-import) lapses.
        Assert.True(await Shared.TryClaimImportAsync(69, "claim-d", T0.AddMinutes(14), lifetime));

        // A restarted instance drops the claims it left, and only those.
        Assert.True(await Shared.TryClaimImportAsync(71, "a1b2c3d4e5f60718ffff", T0.AddMinutes(14), lifetime));
        await other.ReleaseImportClaimsStartingAsync("a1b2c3d4e5f60718");
        Assert.True(await other.TryClaimImportAsync(71, "claim-e", T0.AddMinutes(14), lifetime));
        Assert.False(await other.TryClaimImportAsync(69, "claim-f", T0.AddMinutes(14), lifetime));
    }
}
