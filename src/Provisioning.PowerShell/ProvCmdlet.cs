using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Security;
using Provisioning.Core;

namespace Provisioning.PowerShell;

/// <summary>
/// Shared behaviour of the module's cmdlets: error records with stable IDs, provider path resolution,
/// secrets taken out of <see cref="SecureString"/> only for as long as Core needs them, cancellation on Ctrl+C.
/// </summary>
public abstract class ProvCmdlet : PSCmdlet
{
    private readonly CancellationTokenSource _stopping = new();

    /// <summary>Cancelled when the user presses Ctrl+C.</summary>
    protected CancellationToken Cancellation => _stopping.Token;

    /// <inheritdoc/>
    protected override void StopProcessing() => _stopping.Cancel();

    /// <summary>Resolves a user-typed path (relative to the current PowerShell location) to a file-system path; the file need not exist.</summary>
    protected string ResolvePath(string path) => GetUnresolvedProviderPathFromPSPath(path);

    /// <summary>Parameter set of cmdlets whose input files come from -Path (wildcards expanded).</summary>
    protected const string PathSet = "Path";
    /// <summary>Parameter set of cmdlets whose input files come from -LiteralPath (taken as typed).</summary>
    protected const string LiteralPathSet = "LiteralPath";

    /// <summary>The input files of a cmdlet with <see cref="PathSet"/> and <see cref="LiteralPathSet"/>: whichever of the two the user gave, resolved by <see cref="ResolveInputPaths"/>.</summary>
    protected IEnumerable<string> InputPaths(string[] path, string[] literalPath, string errorId)
        => InputPaths(path, literalPath, errorId, ParameterSetName == LiteralPathSet);

    /// <summary>As <see cref="InputPaths(string[], string[], string)"/>, for a cmdlet with more than one literal-path parameter set.</summary>
    protected IEnumerable<string> InputPaths(string[] path, string[] literalPath, string errorId, bool literal)
        => ResolveInputPaths(literal ? literalPath : path, literal, errorId);

    /// <summary>
    /// The files that <c>-Path</c> or <c>-LiteralPath</c> name, as PowerShell's own cmdlets take them: -Path expands wildcards
    /// (a pattern that matches nothing is a non-terminating error with <paramref name="errorId"/>), -LiteralPath
    /// (<paramref name="literal"/>) takes each name as typed. A path without wildcards is passed on even when it does not exist,
    /// so the caller can say what is missing in its own words.
    /// </summary>
    private IEnumerable<string> ResolveInputPaths(IEnumerable<string> paths, bool literal, string errorId)
    {
        foreach (string path in paths)
        {
            if (literal || !WildcardPattern.ContainsWildcardCharacters(path))
            {
                yield return ResolvePath(path);
                continue;
            }
            List<string> matches;
            try { matches = Matches(path); }
            catch (ArgumentException e)
            {
                WriteError(Error(e, errorId, ErrorCategory.InvalidArgument, path));
                continue;
            }
            if (matches.Count == 0)
                WriteError(Error(new ItemNotFoundException($"No file matches '{path}'. Check the name, or use -LiteralPath for a name that holds [ ] * or ?."),
                    errorId, ErrorCategory.ObjectNotFound, path));
            foreach (string match in matches) yield return match;
        }
    }

    /// <summary>
    /// Resolves a parameter that names one existing file: wildcards are expanded and must match exactly one file (a file whose
    /// name holds wildcard characters is taken as typed). Throws <see cref="FileNotFoundException"/> when nothing matches and
    /// <see cref="ArgumentException"/> when several do, each naming the parameter as the user typed it.
    /// </summary>
    protected string ResolveOneExistingPath(string path, string parameterName)
    {
        string typed = ResolvePath(path);
        if (!WildcardPattern.ContainsWildcardCharacters(path) || File.Exists(typed) || Directory.Exists(typed)) return typed;
        var matches = Matches(path);
        return matches.Count switch
        {
            0 => throw new FileNotFoundException($"No file matches -{parameterName} '{path}'.", path),
            1 => matches[0],
            _ => throw new ArgumentException($"-{parameterName} '{path}' matches {matches.Count} files ({string.Join(", ", matches.Take(3).Select(System.IO.Path.GetFileName))}{(matches.Count > 3 ? ", …" : "")}); it takes one file: give its full name or a pattern that matches only it."),
        };
    }

    // Wildcard matches on the file system, sorted as Get-ChildItem lists them; none when the pattern's folder does not exist.
    private List<string> Matches(string pattern)
    {
        try
        {
            var found = GetResolvedProviderPathFromPSPath(pattern, out var provider);
            if (provider.Name != "FileSystem")
                throw new ArgumentException($"'{pattern}' is not a file-system path (it is on the {provider.Name} provider).");
            return found.OrderBy(p => p, StringComparer.OrdinalIgnoreCase).ToList();
        }
        catch (ItemNotFoundException) { return new List<string>(); }
        catch (System.Management.Automation.DriveNotFoundException) { return new List<string>(); }
    }

    /// <summary>An error record whose message is the exception's (which in Core never carries key material).</summary>
    protected static ErrorRecord Error(Exception exception, string errorId, ErrorCategory category, object? target)
    {
        // ArgumentException appends " (Parameter 'x')" with Core's own names; the message already names the parameter as the user typed it.
        if (exception is ArgumentException argument && ExceptionText.Of(argument) is var clean && clean != argument.Message)
            exception = new ArgumentException(clean, argument);
        return new ErrorRecord(exception, errorId, category, target);
    }

    /// <summary>The category of a file-system failure (<paramref name="ioCategory"/> for I/O errors), or null when <paramref name="e"/> is not one.</summary>
    protected static ErrorCategory? FileErrorCategory(Exception e, ErrorCategory ioCategory) => e switch
    {
        UnauthorizedAccessException => ErrorCategory.PermissionDenied,
        IOException => ioCategory,
        _ => null,
    };

    /// <summary>Stops with an error when one of <paramref name="fileNames"/> already exists in <paramref name="folder"/> (checked before -WhatIf answers, so it predicts the refusal).</summary>
    protected void RefuseExisting(string folder, params string[] fileNames)
    {
        foreach (var name in fileNames)
        {
            string path = System.IO.Path.Combine(folder, name);
            if (File.Exists(path))
                Fail(new IOException($"The file '{path}' already exists; use -Force to replace it."), "KeyFileExists", ErrorCategory.ResourceExists, path);
        }
    }

    /// <summary>Stops the cmdlet with an error.</summary>
    protected void Fail(Exception exception, string errorId, ErrorCategory category, object? target)
        => ThrowTerminatingError(Error(exception, errorId, category, target));

    /// <summary>
    /// Copies a <see cref="SecureString"/> into a char array the caller must clear with <see cref="Clear"/>;
    /// the unmanaged copy is zeroed at once. Null gives an empty array.
    /// </summary>
    protected static char[] Reveal(SecureString? secret)
    {
        if (secret is null || secret.Length == 0) return Array.Empty<char>();
        var chars = new char[secret.Length];
        IntPtr unmanaged = Marshal.SecureStringToGlobalAllocUnicode(secret);
        try { Marshal.Copy(unmanaged, chars, 0, chars.Length); }
        finally { Marshal.ZeroFreeGlobalAllocUnicode(unmanaged); }
        return chars;
    }

    /// <summary>Zeroes a revealed secret.</summary>
    protected static void Clear(char[] secret) => Array.Clear(secret);

    /// <summary>
    /// Waits for <paramref name="task"/> on the pipeline thread, calling <paramref name="tick"/> there a few times a second
    /// (progress and output can only be written from this thread). Ctrl+C stops the pipeline.
    /// </summary>
    protected T Await<T>(Task<T> task, Action? tick = null)
    {
        var done = ((IAsyncResult)task).AsyncWaitHandle;
        while (!done.WaitOne(100)) tick?.Invoke();
        tick?.Invoke();
        try { return task.GetAwaiter().GetResult(); }
        catch (OperationCanceledException) when (Cancellation.IsCancellationRequested) { throw new PipelineStoppedException(); }
    }

    /// <summary>A progress sink that writes <c>Write-Progress</c> records at most a few times a second; a percentage of -1 shows no bar (total unknown).</summary>
    protected ProgressWriter<T> NewProgress<T>(int activityId, string activity, Func<T, (string Status, int Percent)> describe)
        => new(this, activityId, activity, describe);
}

/// <summary>Writes progress for a long synchronous Core call made on the pipeline thread.</summary>
public sealed class ProgressWriter<T> : IProgress<T>
{
    private readonly Cmdlet _cmdlet;
    private readonly int _activityId;
    private readonly string _activity;
    private readonly Func<T, (string Status, int Percent)> _describe;
    private long _lastTicks;
    private int _lastPercent = -1;
    private bool _started;

    internal ProgressWriter(Cmdlet cmdlet, int activityId, string activity, Func<T, (string Status, int Percent)> describe)
    {
        _cmdlet = cmdlet;
        _activityId = activityId;
        _activity = activity;
        _describe = describe;
    }

    /// <inheritdoc/>
    public void Report(T value)
    {
        var (status, percent) = _describe(value);
        long now = Environment.TickCount64;
        if (percent == _lastPercent && now - _lastTicks < 250) return;
        _lastPercent = percent;
        _lastTicks = now;
        _started = true;
        // A new record each time: hosts may keep the records they are given.
        _cmdlet.WriteProgress(new ProgressRecord(_activityId, _activity, status) { PercentComplete = Math.Clamp(percent, -1, 100) });
    }

    /// <summary>Removes the progress bar, if one was shown.</summary>
    public void Complete()
    {
        if (!_started) return;
        _cmdlet.WriteProgress(new ProgressRecord(_activityId, _activity, "Done") { RecordType = ProgressRecordType.Completed });
    }
}
