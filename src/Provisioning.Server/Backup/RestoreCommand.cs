using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Provisioning.Core;
using Provisioning.Core.Backup;
using Provisioning.Server.Hosting;
using Provisioning.Server.Store;

namespace Provisioning.Server.Backup;

/// <summary>
/// <c>Provisioning.Server.dll restore --backup &lt;file&gt; [--force] [--Provisioning:DataPath=…] [--Provisioning:Database=…]</c>:
/// restores a backup into a server that is not running (Restore-ProvServer runs it). The passphrase is the first line of
/// standard input, never an argument. Standard output carries <c>progress</c> lines and one <c>result</c> line (JSON).
/// </summary>
public static class RestoreCommand
{
    /// <summary>Exit codes: 0 restored, 1 failed (database or disk), 2 wrong passphrase, 3 damaged backup, 4 refused (target not empty, versions).</summary>
    public const int Failed = 1, WrongPassphrase = 2, Damaged = 3, Refused = 4;

    /// <summary>Runs the restore and returns the exit code; the reason of a failure goes to standard error, one line.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        string? backup = null;
        bool force = false;
        var rest = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--backup" && i + 1 < args.Length) backup = args[++i];
            else if (args[i] == "--force") force = true;
            else rest.Add(args[i]);
        }
        if (backup is null)
        {
            Console.Error.WriteLine("restore needs --backup <file>.");
            return Failed;
        }
        backup = Path.GetFullPath(backup);
        if (!File.Exists(backup))
        {
            Console.Error.WriteLine($"The backup file {backup} does not exist.");
            return Failed;
        }

        var settings = ProvisioningServer.LoadSettings(rest.ToArray());
        char[] passphrase = ReadPassphrase();
        IProvStore? store = null;
        try
        {
            OwnerOnlyFolder.Create(settings.DataPath);
            try { store = StoreFactory.Create(settings.Database, settings.DataPath, settings.DatabasePassword); }
            catch (ArgumentException e) { Console.Error.WriteLine(ExceptionText.Of(e)); return Failed; }
            var restore = new ServerRestore(store, settings) { Progress = Report };
            var counts = await restore.RunAsync(backup, passphrase, force, CancellationToken.None);
            Console.Out.WriteLine("result\t" + JsonSerializer.Serialize(counts, JsonOptions));
            return 0;
        }
        catch (BackupPassphraseException e) { Console.Error.WriteLine(e.Message); return WrongPassphrase; }
        catch (BackupDamagedException e) { Console.Error.WriteLine($"{e.Message} Nothing was restored."); return Damaged; }
        catch (RestoreRefusedException e) { Console.Error.WriteLine(e.Message); return Refused; }
        catch (Exception e)
        {
            Console.Error.WriteLine($"The restore into {StoreFactory.Describe(settings.Database, settings.DataPath)} failed and was rolled back: {ExceptionText.Of(e)}");
            return Failed;
        }
        finally
        {
            Array.Clear(passphrase);
            if (store is not null) await store.DisposeAsync();
        }
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    private static void Report(string phase, long done, long total) =>
        Console.Out.WriteLine($"progress\t{phase}\t{done}\t{total}");

    /// <summary>The first line of standard input, read as bytes so no string copy of the secret is made; the bytes are zeroed.</summary>
    private static char[] ReadPassphrase()
    {
        using var input = Console.OpenStandardInput();
        byte[] buffer = new byte[4096];
        int length = 0;
        try
        {
            while (length < buffer.Length)
            {
                int b = input.ReadByte();
                if (b is -1 or '\n') break;
                buffer[length++] = (byte)b;
            }
            if (length > 0 && buffer[length - 1] == '\r') length--;
            return Encoding.UTF8.GetChars(buffer, 0, length);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }
}
