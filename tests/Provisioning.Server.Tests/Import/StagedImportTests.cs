using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Provisioning.Core.Crypto;
using Provisioning.Server.Endpoints;
using Provisioning.Server.Hosting;
using Provisioning.Server.Import;
using Provisioning.Server.Keys;
using Provisioning.Server.Repository;
using Provisioning.Server.Store;
using Provisioning.Server.Tests.Api;

namespace Provisioning.Server.Tests.Import;

/// <summary>
/// The web import's two steps: an upload verified once and kept staged (files unpacked, gateway keys sealed, no
/// passphrase), then committed or discarded by the person who uploaded it, or thrown away when its time is up.
/// </summary>
public sealed class StagedImportTests : IAsyncLifetime
{
    private const string Ada = "user:1:ada", Eve = "user:2:eve";
    private readonly TestNetwork _network = new();
    private readonly ManualTime _time = new();
    private readonly ServerSettings _settings = new() { DataPath = Directory.CreateTempSubdirectory("prov-stage-").FullName };
    private IProvStore _store = null!;
    private MasterKey _masterKey = null!;
    private PackageImporter _importer = null!;

    public async Task InitializeAsync()
    {
        OwnerOnlyFolder.Create(_settings.StagingPath);
        OwnerOnlyFolder.Create(_settings.FilesPath);
        _store = StoreFactory.Create("sqlite", _settings.DataPath);
        await _store.MigrateAsync();
        _masterKey = MasterKey.LoadOrCreate(_settings.ResolvedMasterKeyPath);
        _importer = new PackageImporter(_store, new FileRepository(_settings.FilesPath), _masterKey, new ConfigFacts(_store),
            Options.Create(_settings), NullLogger<PackageImporter>.Instance, _time);
    }

    public async Task DisposeAsync()
    {
        _importer.Dispose();
        await _store.DisposeAsync();
        _masterKey.Dispose();
        _network.Dispose();
        try { Directory.Delete(_settings.DataPath, recursive: true); } catch (IOException) { }
    }

    private async Task<StagedImport> Stage(ulong configId, string owner = Ada)
    {
        await using var upload = File.OpenRead(_network.Package(configId, ["kite_170"]));
        return await _importer.StageAsync(upload, "provPackage.tar.gz", TestNetwork.Passphrase.ToCharArray(), "Import Demo.", owner, CancellationToken.None);
    }

    private string[] Staged() => Directory.GetDirectories(_settings.StagingPath);

    [Fact]
    public async Task A_staged_upload_is_imported_once_by_its_owner_only_with_the_keys_sealed_at_upload()
    {
        var staged = await Stage(69);
        Assert.Equal(69UL, staged.Package.ConfigId);
        Assert.Equal(1, staged.Package.Revision);
        Assert.Null(staged.CurrentRevision);
        Assert.Null(await _store.GetPackageAsync(69));
        Assert.Single(Staged());

        // Someone else cannot see, import or cancel it.
        Assert.Null(_importer.GetStaged(staged.Id, Eve));
        await Assert.ThrowsAsync<StagedImportNotFoundException>(() => _importer.CommitStagedAsync(staged.Id, Eve));
        Assert.False(_importer.DiscardStaged(staged.Id, Eve));
        Assert.NotNull(_importer.GetStaged(staged.Id, Ada));

        var result = await _importer.CommitStagedAsync(staged.Id, Ada);
        Assert.True(result.Imported);
        Assert.Equal("Import Demo.", result.Package.Comment);
        Assert.Equal(staged.Package.PackageSha256, result.Package.PackageSha256);
        Assert.Empty(Staged());
        await Assert.ThrowsAsync<StagedImportNotFoundException>(() => _importer.CommitStagedAsync(staged.Id, Ada));

        // The keys sealed at upload open to the network's gateway and CDLD keys.
        var (_, sealedKeys) = (await _store.GetGatewayKeysAsync(69))!.Value;
        byte[] plain = new byte[MasterKey.PlaintextLength(sealedKeys)];
        _masterKey.Open(sealedKeys, PackageImporter.GatewayKeysContext(69), plain);
        Assert.Equal(_network.GatewayKey.Concat(_network.CdldKey), plain);
    }

    [Fact]
    public async Task Staging_holds_neither_the_passphrase_nor_the_gateway_keys_in_clear()
    {
        await Stage(70);
        var secrets = new[]
        {
            Encoding.UTF8.GetBytes(TestNetwork.Passphrase), _network.GatewayKey, _network.CdldKey,
            Encoding.ASCII.GetBytes(Convert.ToHexString(_network.GatewayKey)), Encoding.ASCII.GetBytes(Convert.ToHexStringLower(_network.GatewayKey)),
            Encoding.ASCII.GetBytes(Convert.ToHexString(_network.CdldKey)), Encoding.ASCII.GetBytes(Convert.ToHexStringLower(_network.CdldKey)),
        };
        var files = Directory.GetFiles(_settings.StagingPath, "*", SearchOption.AllDirectories);
        Assert.NotEmpty(files);
        foreach (string file in files)
        {
            byte[] content = File.ReadAllBytes(file);
            foreach (byte[] secret in secrets)
                Assert.True(content.AsSpan().IndexOf(secret) < 0, $"{file} holds a secret in clear");
        }
    }

    [Fact]
    public async Task A_staged_upload_is_gone_after_cancel_after_its_time_and_when_the_server_stops()
    {
        var cancelled = await Stage(71);
        var forgotten = await Stage(72);
        Assert.Equal(2, Staged().Length);

        Assert.True(_importer.DiscardStaged(cancelled.Id, Ada));
        Assert.Single(Staged());
        await Assert.ThrowsAsync<StagedImportNotFoundException>(() => _importer.CommitStagedAsync(cancelled.Id, Ada));

        _time.Advance(PackageImporter.StagedLifetime + TimeSpan.FromSeconds(1));
        Assert.Null(_importer.GetStaged(forgotten.Id, Ada));
        _importer.Sweep();
        Assert.Empty(Staged());
        await Assert.ThrowsAsync<StagedImportNotFoundException>(() => _importer.CommitStagedAsync(forgotten.Id, Ada));
        Assert.Null(await _store.GetPackageAsync(71));
        Assert.Null(await _store.GetPackageAsync(72));

        await Stage(73);
        _importer.Dispose();
        Assert.Empty(Staged());
    }

    [Fact]
    public async Task One_person_holds_at_most_a_few_staged_uploads_and_a_new_one_replaces_the_oldest()
    {
        var first = await Stage(74);
        for (int i = 1; i < PackageImporter.MaxStagedPerOwner; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await Stage(74);
        }
        var eves = await Stage(74, Eve);
        _time.Advance(TimeSpan.FromSeconds(1));
        await Stage(74);
        Assert.Null(_importer.GetStaged(first.Id, Ada));
        Assert.NotNull(_importer.GetStaged(eves.Id, Eve));
        Assert.Equal(PackageImporter.MaxStagedPerOwner + 1, Staged().Length);
    }

    private sealed class ManualTime : TimeProvider
    {
        private DateTimeOffset _now = DateTimeOffset.UtcNow;
        public override DateTimeOffset GetUtcNow() => _now;
        public void Advance(TimeSpan by) => _now += by;
    }
}
