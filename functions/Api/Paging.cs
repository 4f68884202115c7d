using System.Buffers.Text;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.WebUtilities;

namespace LdFleet.Functions.Api;

/// <summary>
/// Where a listing resumes: the table keys of the last item returned (keyset paging), so a page can end
/// anywhere, filters can be applied after the table query, and a token stays valid while rows come and go.
/// Opaque to clients; <see cref="Scope"/> stops a token of one listing from being replayed against another.
/// </summary>
internal sealed record ContinuationToken(string Scope, string PartitionKey, string RowKey)
{
    private const int MaxLength = 2048;

    public string Encode() => Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new[] { Scope, PartitionKey, RowKey }));

    /// <summary>Decodes <paramref name="value"/>; null with an error when it is not a token of this listing.</summary>
    public static ContinuationToken? Decode(string? value, string scope, FieldErrors errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        try
        {
            if (value.Length <= MaxLength && Base64Url.IsValid(value)
                && JsonSerializer.Deserialize<string[]>(Base64Url.DecodeFromChars(value)) is [var s, var pk, var rk]
                && s == scope)
            {
                return new ContinuationToken(s, pk, rk);
            }
        }
        catch (JsonException)
        {
        }

        errors.Add("continuationToken", "This is not a continuation token of this listing; pass back the Continuation-Token header of the previous page unchanged.");
        return null;
    }
}

/// <summary>Page size and position parsed from the query string.</summary>
internal sealed record PageRequest(int PageSize, ContinuationToken? After)
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 1000;

    public static PageRequest Parse(string? pageSize, string? continuationToken, string scope, FieldErrors errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var size = DefaultPageSize;
        if (pageSize is not null && (!int.TryParse(pageSize, NumberStyles.None, CultureInfo.InvariantCulture, out size) || size is < 1 or > MaxPageSize))
        {
            errors.Add("pageSize", $"pageSize is a whole number from 1 to {MaxPageSize}.");
            size = DefaultPageSize;
        }

        return new PageRequest(size, ContinuationToken.Decode(continuationToken, scope, errors));
    }
}

/// <summary>One page of a listing and where the next one starts (null when this is the last).</summary>
internal sealed record ListPage<T>(IReadOnlyList<T> Items, ContinuationToken? Next);

/// <summary>
/// A page as the API returns it: the items as a JSON array, and when more may follow a
/// <c>Continuation-Token</c> header plus an RFC 8288 <c>Link: &lt;...&gt;; rel="next"</c> with the URL of the next page.
/// Every listing pages this way.
/// </summary>
internal sealed class PagedResult<T> : IResult, IEndpointMetadataProvider, IStatusCodeHttpResult, IValueHttpResult
{
    public const string TokenHeader = "Continuation-Token";

    public PagedResult(ListPage<T> page) => Page = page;

    public ListPage<T> Page { get; }

    public int? StatusCode => StatusCodes.Status200OK;

    object? IValueHttpResult.Value => Page.Items;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        if (Page.Next is { } next)
        {
            var token = next.Encode();
            var query = QueryHelpers.ParseQuery(httpContext.Request.QueryString.Value);
            query["continuationToken"] = token;
            var url = new StringBuilder(httpContext.Request.PathBase).Append(httpContext.Request.Path);
            var separator = '?';
            foreach (var (key, values) in query)
            {
                foreach (var value in values)
                {
                    url.Append(separator).Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value ?? ""));
                    separator = '&';
                }
            }

            httpContext.Response.Headers[TokenHeader] = token;

            // Relative, or under Api:PublicBaseUrl: never from the Host header (see ApiLinks).
            var links = httpContext.RequestServices.GetRequiredService<ApiLinks>();
            httpContext.Response.Headers.Link = $"<{links.Resolve(url.ToString())}>; rel=\"next\"";
        }

        return TypedResults.Ok(Page.Items).ExecuteAsync(httpContext);
    }

    public static void PopulateMetadata(MethodInfo method, EndpointBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(IReadOnlyList<T>), ["application/json"]));
    }
}
