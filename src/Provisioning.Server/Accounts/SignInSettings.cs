namespace Provisioning.Server.Accounts;

/// <summary>
/// Sign-in throttling, the <c>Provisioning:SignIn</c> section of the settings (e.g. <c>--Provisioning:SignIn:AccountFailures=5</c>).
/// The defaults suit a factory: a person who mistypes a few times is not held up, a guesser gets a handful of tries an hour.
/// </summary>
public sealed class SignInSettings
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Provisioning:SignIn";

    /// <summary>Consecutive failures of one account that lock it.</summary>
    public int AccountFailures { get; set; } = 5;

    /// <summary>The first lock, in seconds; each further failure after a lock doubles it.</summary>
    public int AccountLockSeconds { get; set; } = 60;

    /// <summary>The longest lock, in seconds.</summary>
    public int AccountLockMaxSeconds { get; set; } = 3600;

    /// <summary>Failures from one client address within <see cref="AddressWindowSeconds"/> that throttle that address.</summary>
    public int AddressFailures { get; set; } = 20;

    /// <summary>The sliding window of the address throttle, in seconds.</summary>
    public int AddressWindowSeconds { get; set; } = 900;

    /// <summary>How long a lock lasts after <paramref name="failures"/> consecutive failures; null below the threshold.</summary>
    public TimeSpan? LockFor(int failures)
    {
        if (failures < Math.Max(1, AccountFailures))
            return null;
        int doublings = Math.Min(failures - Math.Max(1, AccountFailures), 20);
        double seconds = Math.Min((double)Math.Max(1, AccountLockSeconds) * (1L << doublings), Math.Max(AccountLockSeconds, AccountLockMaxSeconds));
        return TimeSpan.FromSeconds(seconds);
    }
}
