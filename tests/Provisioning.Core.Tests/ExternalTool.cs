using System.Diagnostics;

namespace Provisioning.Core.Tests;

/// <summary>Runs a command-line tool (openssl, tar, xmllint...) to check that other tools read what we write.</summary>
internal static class ExternalTool
{
    public sealed record Result(int ExitCode, string Stdout, byte[] StdoutBytes, string Stderr);

    public static bool IsInstalled(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Any(dir => dir.Length > 0 && File.Exists(Path.Combine(dir, name)));

    public static Result Run(string fileName, params string[] args)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in args)
            start.ArgumentList.Add(arg);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"These interoperability tests need '{fileName}' on PATH.", e);
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            using var stdout = new MemoryStream();
            process.StandardOutput.BaseStream.CopyTo(stdout);
            process.WaitForExit();
            byte[] bytes = stdout.ToArray();
            return new Result(process.ExitCode, System.Text.Encoding.UTF8.GetString(bytes), bytes, stderr.Result);
        }
    }
}

/// <summary>A fact that needs command-line tools; reported as skipped, with the reason, where they are not installed.</summary>
public sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(params string[] tools)
    {
        var missing = tools.Where(t => !ExternalTool.IsInstalled(t)).ToArray();
        if (missing.Length > 0)
            Skip = $"needs {string.Join(" and ", missing)} on PATH (.ci/run installs them; xmllint is in libxml2-utils)";
    }
}
