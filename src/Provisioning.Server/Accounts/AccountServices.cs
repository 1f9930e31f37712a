using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Provisioning.Server.Auth;

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
        // Web sessions end when their account is removed, disabled or changes role (checked against the database per request).
        services.AddOptions<CookieAuthenticationOptions>(AuthSchemes.Cookie).PostConfigure(o =>
        {
            var earlier = o.Events.OnValidatePrincipal;
            o.Events.OnValidatePrincipal = async context =>
            {
                await earlier(context);
                if (context.Principal is not null)
                    await AccountSessionCheck.ValidateAsync(context);
            };
        });
        return services;
    }
}
