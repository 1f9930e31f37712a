using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Provisioning.Server.Accounts;

/// <summary>Registers accounts and sign-in.</summary>
public static class AccountServices
{
    /// <summary>Adds <see cref="AccountSignIn"/> and what it needs, with throttling from the <c>Provisioning:SignIn</c> settings.</summary>
    public static IServiceCollection AddAccounts(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection(SignInSettings.Section).Get<SignInSettings>() ?? new SignInSettings();
        services.AddSingleton(Options.Create(settings));
        services.AddSingleton(settings);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<PasswordHashing>();
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<AccountSignIn>();
        return services;
    }
}
