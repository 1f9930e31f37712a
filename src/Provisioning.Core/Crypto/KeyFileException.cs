namespace Provisioning.Core.Crypto;

/// <summary>A key file is missing, malformed, or cannot be opened. The message names the file and never holds key material.</summary>
public class KeyFileException : Exception
{
    /// <summary>Creates the exception.</summary>
    public KeyFileException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>The passphrase does not open the gateway key file (or the encrypted private key).</summary>
public sealed class WrongPassphraseException : KeyFileException
{
    /// <summary>Creates the exception.</summary>
    public WrongPassphraseException(string message) : base(message) { }
}
