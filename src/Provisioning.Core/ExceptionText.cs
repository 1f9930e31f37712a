namespace Provisioning.Core;

/// <summary>
/// An exception's message as an operator should read it: without the " (Parameter 'name')" that
/// <see cref="ArgumentException.Message"/> appends with a code name the user never typed.
/// </summary>
public static class ExceptionText
{
    /// <summary>The message of <paramref name="exception"/>, clean of .NET's parameter-name suffix.</summary>
    public static string Of(Exception exception)
    {
        string message = exception.Message;
        if (exception is ArgumentException { ParamName: { Length: > 0 } name })
        {
            string suffix = $" (Parameter '{name}')";
            int at = message.IndexOf(suffix, StringComparison.Ordinal);
            if (at >= 0) message = message.Remove(at, suffix.Length);
        }
        return message;
    }
}
