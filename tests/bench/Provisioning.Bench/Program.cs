using System.Diagnostics;
using Provisioning.Core.Packaging;

// Usage:
//   Provisioning.Bench build <package> <kms_key.pub.pem> <gw_keys.csv.aes> <node firmware> <field config>
//   Provisioning.Bench verify <package> [<extract folder>]
//   Provisioning.Bench idle            (the runtime alone: the floor under every peak-memory figure)
// Prints the operation's own elapsed seconds (without process start-up) on stdout.
if (args.Length == 1 && args[0] == "idle") { Console.WriteLine("0.000"); return 0; }
if (args.Length < 2) { Console.Error.WriteLine("usage: build <pkg> <kmspub> <gwaes> <fw> <cfg> | verify <pkg>"); return 2; }
var clock = Stopwatch.StartNew();
switch (args[0])
{
    case "build":
        var definition = new PackageDefinition
        {
            ConfigId = new ProvConfigId(69), AppLabel = "bench", NodeType = "UNODE", NodeVersion = "1.0.0.0",
            KmsPublicKeyPath = args[2], GatewayKeyFile = args[3], NodeFirmware = args[4], NodeFieldConfig = args[5],
        };
        PackageWriter.Build(definition, args[1], overwrite: true);
        break;
    case "verify":
        // With a folder, the files are also written out, as an import does; GNU tar xzf writes them too.
        var result = PackageVerifier.Verify(args[1], new PackageVerifyOptions { ExtractTo = args.Length > 2 ? args[2] : null });
        if (!result.IsValid) { Console.Error.WriteLine(string.Join(Environment.NewLine, result.Problems.Select(p => p.Message))); return 1; }
        break;
    default:
        Console.Error.WriteLine($"unknown operation {args[0]}");
        return 2;
}
Console.WriteLine(clock.Elapsed.TotalSeconds.ToString("F3", System.Globalization.CultureInfo.InvariantCulture));
return 0;
