using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Provisioning.Server.Store;

namespace Provisioning.Server.Web;

/// <summary><c>/provisioning</c>: the guide's overview table (§7.1.2 step 7), a page at a time.</summary>
public sealed class OverviewModel(IProvStore store) : PageModel
{
    /// <summary>Rows per page.</summary>
    public const int PageSize = 25;

    [BindProperty(SupportsGet = true, Name = "page")] public int PageNumber { get; set; } = 1;

    public IReadOnlyList<StoredPackage> Packages { get; private set; } = [];
    public int Total { get; private set; }
    public int First => Total == 0 ? 0 : (PageNumber - 1) * PageSize + 1;
    public int Last => Math.Min(Total, PageNumber * PageSize);

    public async Task OnGetAsync(CancellationToken ct)
    {
        var all = await store.ListPackagesAsync(includeHistory: false, ct);
        Total = all.Count;
        PageNumber = Math.Clamp(PageNumber, 1, Math.Max(1, (Total + PageSize - 1) / PageSize));
        Packages = all.Skip((PageNumber - 1) * PageSize).Take(PageSize).ToList();
    }
}
