using Provisioning.Core.Api;

namespace Provisioning.Server.Tests.Store;

// The audit log: appended, read newest first with filters, and refused changes by the database itself.
public abstract partial class ProvStoreTests
{
    private static AuditEntry Entry(string action, string? actor, DateTimeOffset at, bool ok = true) =>
        new(0, at, actor is null ? null : "user", actor is null ? null : 7, actor, "192.0.2.10", action, "config 69", "detail", ok);

    [StoreFact]
    public async Task Audit_entries_read_back_newest_first_with_filters()
    {
        var t0 = new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);
        long first = await Store.AppendAuditAsync(Entry("login", "Alice", t0));
        await Store.AppendAuditAsync(Entry("login.failed", null, t0.AddMinutes(1), ok: false));
        await Store.AppendAuditAsync(Entry("package.import", "alice", t0.AddMinutes(2)));
        await Store.AppendAuditAsync(Entry("export", "bob", t0.AddMinutes(3)));

        var all = await Store.ReadAuditAsync(new());
        Assert.Equal(["export", "package.import", "login.failed", "login"], all.Select(e => e.Action));
        var oldest = all[^1];
        Assert.Equal((first, t0, "user", 7L, "Alice", "192.0.2.10", "config 69", "detail", true),
            (oldest.Id, oldest.At, oldest.ActorKind, oldest.ActorId, oldest.ActorName, oldest.Address, oldest.Target, oldest.Detail, oldest.Succeeded));
        Assert.False(all[2].Succeeded);
        Assert.Null(all[2].ActorName);

        Assert.Equal(["package.import", "login"], (await Store.ReadAuditAsync(new(User: "ALICE"))).Select(e => e.Action));
        Assert.Equal(["login.failed", "login"], (await Store.ReadAuditAsync(new(Action: "login*"))).Select(e => e.Action));
        Assert.Equal(["login"], (await Store.ReadAuditAsync(new(Action: "login"))).Select(e => e.Action));
        Assert.Equal(["package.import", "login.failed"],
            (await Store.ReadAuditAsync(new(From: t0.AddMinutes(1), To: t0.AddMinutes(2)))).Select(e => e.Action));
        var page = await Store.ReadAuditAsync(new(Limit: 2));
        Assert.Equal(["export", "package.import"], page.Select(e => e.Action));
        Assert.Equal(["login.failed", "login"], (await Store.ReadAuditAsync(new(Before: page[^1].Id))).Select(e => e.Action));
    }

    [StoreFact]
    public async Task The_database_refuses_changing_or_deleting_audit_entries()
    {
        await Store.AppendAuditAsync(Entry("export", "bob", DateTimeOffset.UtcNow));
        var update = await Assert.ThrowsAnyAsync<Exception>(() => ExecuteRawAsync(Spec, "UPDATE audit_log SET actor_name = 'mallory'"));
        Assert.Contains("append-only", update.Message);
        var delete = await Assert.ThrowsAnyAsync<Exception>(() => ExecuteRawAsync(Spec, "DELETE FROM audit_log"));
        Assert.Contains("append-only", delete.Message);
        Assert.Equal("bob", Assert.Single(await Store.ReadAuditAsync(new())).ActorName);
    }
}
