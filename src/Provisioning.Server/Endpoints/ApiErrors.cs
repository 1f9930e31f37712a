using Provisioning.Core.Api;

namespace Provisioning.Server.Endpoints;

/// <summary>Problem responses (RFC 9457) with a stable error ID and an operator-readable detail.</summary>
public static class ApiErrors
{
    /// <summary>A problem result.</summary>
    public static IResult Problem(int status, string errorId, string detail) =>
        Results.Json(new ApiProblem(TitleFor(status), status, detail, errorId), ApiJson.Options, "application/problem+json", status);

    /// <summary>404 with a not-found error ID.</summary>
    public static IResult NotFound(string errorId, string detail) => Problem(StatusCodes.Status404NotFound, errorId, detail);

    /// <summary>400 with an error ID.</summary>
    public static IResult BadRequest(string errorId, string detail) => Problem(StatusCodes.Status400BadRequest, errorId, detail);

    /// <summary>409 with an error ID.</summary>
    public static IResult Conflict(string errorId, string detail) => Problem(StatusCodes.Status409Conflict, errorId, detail);

    /// <summary>Writes a problem directly (middleware, before an endpoint runs).</summary>
    public static Task Write(HttpContext context, int status, string errorId, string detail)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ApiProblem(TitleFor(status), status, detail, errorId), ApiJson.Options, "application/problem+json");
    }

    private static string TitleFor(int status) => status switch
    {
        400 => "Bad request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not found",
        409 => "Conflict",
        413 => "Too large",
        422 => "Invalid package",
        _ => "Server error",
    };
}
