using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Provisioning.Core.Packaging;
using Provisioning.Server.Store;

namespace Provisioning.Server.Web;

/// <summary><c>/provisioning/configs/{configId}</c>: one config in detail (guide §7.1.2 step 8): files with hashes, aliases, apps, revisions.</summary>
public sealed class ConfigModel(IProvStore store) : PageModel
{
    [BindProperty(SupportsGet = true)] public string ConfigId { get; set; } = "";

    public StoredPackage? Package { get; private set; }
    public IReadOnlyList<StoredPackage> History { get; private set; } = [];
    public string? Problem { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        if (!ProvConfigId.TryParse(ConfigId, out var id, out string? message))
        {
            Problem = message ?? $"'{ConfigId}' is not a config ID.";
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        Package = await store.GetPackageAsync(id.Value, ct);
        if (Package is null)
        {
            Problem = $"No package is imported for config ID {id.Value} (0x{id.Value:X}).";
            Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        History = (await store.ListPackagesAsync(includeHistory: true, ct)).Where(p => p.ConfigId == id.Value)
            .OrderByDescending(p => p.Revision).ToList();
    }
}
