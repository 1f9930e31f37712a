using System.Security.Cryptography;
using System.Text;
using Provisioning.Core.Api;
using Provisioning.Server.Store;
using static Provisioning.Server.Tests.Store.StoreTestData;

namespace Provisioning.Server.Tests.Store;

public abstract partial class ProvStoreTests
{
    private static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    [StoreFact]
    public async Task A_token_is_found_by_its_secret_hash_until_and_after_it_is_revoked()
    {
        var admin = await Store.AddTokenAsync("first admin", TokenRoles.Admin, Hash("s1"), T0);
        var station = await Store.AddTokenAsync("line 1 station", TokenRoles.Station, Hash("s2"), T0.AddMinutes(1));

        Assert.Equal(new StoredToken(station.Id, "line 1 station", TokenRoles.Station, null), await Store.FindTokenAsync(Hash("s2")));
        Assert.Null(await Store.FindTokenAsync(Hash("never issued")));

        Assert.True(await Store.RevokeTokenAsync(station.Id, T0.AddHours(1)));
        Assert.Equal(T0.AddHours(1), (await Store.FindTokenAsync(Hash("s2")))!.Revoked);
        // Revoking again keeps the first revocation time.
        Assert.True(await Store.RevokeTokenAsync(station.Id, T0.AddHours(2)));
        Assert.Equal(T0.AddHours(1), (await Store.FindTokenAsync(Hash("s2")))!.Revoked);
        Assert.False(await Store.RevokeTokenAsync(station.Id + 1000, T0));

        Assert.Equal([admin, station with { Revoked = T0.AddHours(1) }], await Store.ListTokensAsync());
    }

    [StoreFact]
    public async Task Only_an_unrevoked_admin_token_counts_as_an_admin()
    {
        Assert.False(await Store.HasAdminTokenAsync());
        await Store.AddTokenAsync("station", TokenRoles.Station, Hash("st"), T0);
        Assert.False(await Store.HasAdminTokenAsync());

        var admin = await Store.AddTokenAsync("admin", TokenRoles.Admin, Hash("ad"), T0);
        Assert.True(await Store.HasAdminTokenAsync());

        await Store.RevokeTokenAsync(admin.Id, T0.AddDays(1));
        Assert.False(await Store.HasAdminTokenAsync());
    }
}
