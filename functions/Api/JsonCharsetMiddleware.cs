using System.Text;
using Microsoft.Net.Http.Headers;

namespace LdFleet.Functions.Api;

/// <summary>
/// JSON request bodies are UTF-8 (RFC 8259 §8.1), whatever the Content-Type charset says. The framework's body
/// binder hands a declared charset to <see cref="Encoding.GetEncoding(string)"/> and throws (a 500) for a name .NET
/// does not know, including the valid quoted form <c>charset="utf-8"</c>; the endpoints that read the body themselves
/// (<see cref="ApiJson"/>) ignore the charset altogether. So the charset is settled here, once, before any endpoint
/// reads a body: every spelling of UTF-8 (any case, quoted, padded, with or without the hyphen) is rewritten to
/// <c>utf-8</c>, and any other charset is a 415 problem rather than a guess.
/// </summary>
internal sealed class JsonCharsetMiddleware
{
    private readonly RequestDelegate _next;
    private readonly IProblemDetailsService _problems;

    public JsonCharsetMiddleware(RequestDelegate next, IProblemDetailsService problems)
    {
        _next = next;
        _problems = problems;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        if (request.ContentType is { } contentType
            && MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
            && IsJson(mediaType)
            && mediaType.Charset.HasValue)
        {
            if (!IsUtf8(mediaType.Charset.Value!))
            {
                context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
                await _problems.WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = context,
                    ProblemDetails =
                    {
                        Status = StatusCodes.Status415UnsupportedMediaType,
                        Type = ProblemTypes.UnsupportedMediaType,
                        Title = "JSON bodies must be UTF-8.",
                        Detail = "Send Content-Type: application/json (optionally with charset=utf-8); other charsets are not accepted.",
                    },
                });
                return;
            }

            // The binder understands exactly this spelling (and none of the quoted or hyphen-less ones).
            mediaType.Charset = "utf-8";
            request.ContentType = mediaType.ToString();
        }

        await _next(context);
    }

    /// <summary>application/json or any <c>+json</c> type: what the framework's binder and <see cref="ApiJson"/> read.</summary>
    private static bool IsJson(MediaTypeHeaderValue mediaType) =>
        mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
        || mediaType.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether a charset parameter (as sent: possibly quoted, padded, in any case) names UTF-8.</summary>
    internal static bool IsUtf8(string charset)
    {
        var name = HeaderUtilities.RemoveQuotes(charset.Trim()).Trim().ToString();
        if (name.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || name.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        // The registered aliases .NET knows (unicode-1-1-utf-8, x-unicode20utf8, ...); anything unknown is simply not UTF-8.
        try
        {
            return name.Length is > 0 and <= 64 && Encoding.GetEncoding(name).CodePage == Encoding.UTF8.CodePage;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}

internal static class JsonCharsetMiddlewareExtensions
{
    /// <summary>Settles the charset of JSON request bodies before any endpoint reads one; see <see cref="JsonCharsetMiddleware"/>.</summary>
    public static IApplicationBuilder UseJsonCharset(this IApplicationBuilder app) => app.UseMiddleware<JsonCharsetMiddleware>();
}
