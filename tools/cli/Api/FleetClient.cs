using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace LdFleet.Cli.Api;

/// <summary>One page of a listing: the items and the token of the next page (null on the last).</summary>
internal sealed record Page(IReadOnlyList<JsonElement> Items, string? ContinuationToken);

/// <summary>
/// The HTTP side of the CLI: bearer token, JSON, paging, RFC 7807 problems turned into <see cref="CliException"/>s,
/// and retries of requests that are safe to repeat (GETs, and POSTs carrying this invocation's Idempotency-Key).
/// </summary>
internal sealed class FleetClient : IDisposable
{
    public const string IdempotencyHeader = "Idempotency-Key";
    private const int Attempts = 3;

    private readonly HttpClient _http;
    private readonly Func<CancellationToken, Task<string>> _token;

    public FleetClient(Uri baseAddress, Func<CancellationToken, Task<string>> token)
    {
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("ldfleet-cli", typeof(FleetClient).Assembly.GetName().Version?.ToString(3) ?? "0"));
        _token = token;
    }

    /// <summary>One key per CLI invocation: a retried request (by us or by a re-run of the same process) is answered, not repeated.</summary>
    public string IdempotencyKey { get; } = Guid.NewGuid().ToString();

    /// <summary>How long one request may take (uploads get longer).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(100);

    public Task<JsonElement> GetAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Get, path), retry: true, cancellationToken);

    public Task<JsonElement> PostAsync(string path, object? body, bool idempotent, CancellationToken cancellationToken) =>
        SendAsync(() => WithBody(new HttpRequestMessage(HttpMethod.Post, path), body, idempotent), retry: idempotent, cancellationToken);

    public Task<JsonElement> PutAsync(string path, object? body, CancellationToken cancellationToken) =>
        SendAsync(() => WithBody(new HttpRequestMessage(HttpMethod.Put, path), body, false), retry: true, cancellationToken);

    public Task<JsonElement> DeleteAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, path), retry: false, cancellationToken);

    public Task<JsonElement> PostContentAsync(string path, Func<HttpContent> content, CancellationToken cancellationToken) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Post, path) { Content = content() }, retry: true, cancellationToken);

    /// <summary>Reads up to <paramref name="limit"/> items (null: all) of a listing, following continuation tokens.</summary>
    public async Task<(List<JsonElement> Items, bool More)> ListAsync(string path, IEnumerable<KeyValuePair<string, string?>> query, int? limit, CancellationToken cancellationToken)
    {
        var items = new List<JsonElement>();
        string? token = null;
        do
        {
            var pageSize = limit is { } l ? Math.Clamp(l - items.Count, 1, 1000) : 1000;
            var page = await GetPageAsync(path, query.Append(new("pageSize", pageSize.ToString(CultureInfo.InvariantCulture))).Append(new("continuationToken", token)), cancellationToken);
            items.AddRange(page.Items);
            token = page.ContinuationToken;
        }
        while (token is not null && (limit is null || items.Count < limit));

        if (limit is { } max && items.Count > max)
        {
            items.RemoveRange(max, items.Count - max);
        }

        return (items, token is not null);
    }

    public async Task<Page> GetPageAsync(string path, IEnumerable<KeyValuePair<string, string?>> query, CancellationToken cancellationToken)
    {
        var url = path + QueryString(query);
        string? next = null;
        var body = await SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), retry: true, cancellationToken, response =>
            next = response.Headers.TryGetValues("Continuation-Token", out var values) ? values.FirstOrDefault() : null);
        return new Page(body.ValueKind == JsonValueKind.Array ? [.. body.EnumerateArray()] : [], next);
    }

    public static string QueryString(IEnumerable<KeyValuePair<string, string?>> query)
    {
        var parts = query.Where(p => p.Value is not null).Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value!)).ToList();
        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }

    private HttpRequestMessage WithBody(HttpRequestMessage request, object? body, bool idempotent)
    {
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: Json.Options);
        }

        if (idempotent)
        {
            request.Headers.Add(IdempotencyHeader, IdempotencyKey);
        }

        return request;
    }

    private async Task<JsonElement> SendAsync(Func<HttpRequestMessage> create, bool retry, CancellationToken cancellationToken, Action<HttpResponseMessage>? inspect = null)
    {
        var token = await _token(cancellationToken);
        for (var attempt = 1; ; attempt++)
        {
            using var request = create();
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(RequestTimeout);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            }
            catch (HttpRequestException) when (retry && attempt < Attempts)
            {
                await BackoffAsync(attempt, null, cancellationToken);
                continue;
            }
            catch (HttpRequestException ex)
            {
                throw new CliException(ExitCodes.Network, $"Cannot reach the API at {_http.BaseAddress}: {ex.Message}", ["Check the profile's API URL (ldfleet config show) and that the cloud app is running."]);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new CliException(ExitCodes.Network, $"The API at {_http.BaseAddress} did not answer within {RequestTimeout.TotalSeconds:0} s.");
            }

            using (response)
            {
                if (retry && attempt < Attempts && IsTransient(response))
                {
                    await BackoffAsync(attempt, response.Headers.RetryAfter?.Delta, cancellationToken);
                    continue;
                }

                inspect?.Invoke(response);
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                if (!response.IsSuccessStatusCode)
                {
                    throw Problem.ToException(response.StatusCode, response.Content.Headers.ContentType?.MediaType, text, $"{request.Method} {request.RequestUri}");
                }

                if (string.IsNullOrWhiteSpace(text))
                {
                    return default;
                }

                try
                {
                    using var document = JsonDocument.Parse(text);
                    return document.RootElement.Clone();
                }
                catch (JsonException)
                {
                    throw new CliException(ExitCodes.Network, $"The API answered {request.Method} {request.RequestUri} with something that is not JSON (is the URL an LdFleet API?).");
                }
            }
        }
    }

    /// <summary>Worth another try with the same request: overload, a restarting app, or our own earlier attempt still running.</summary>
    private static bool IsTransient(HttpResponseMessage response) =>
        response.StatusCode is HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout or HttpStatusCode.TooManyRequests
        || (response.StatusCode == HttpStatusCode.Conflict && response.Headers.Contains("Retry-After"));

    private static Task BackoffAsync(int attempt, TimeSpan? retryAfter, CancellationToken cancellationToken)
    {
        var delay = retryAfter is { } after && after <= TimeSpan.FromSeconds(10)
            ? after
            : TimeSpan.FromMilliseconds(250 * Math.Pow(2, attempt - 1) * (0.8 + (Random.Shared.NextDouble() * 0.4)));
        return Task.Delay(delay, cancellationToken);
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>JSON settings for request bodies: the API's camelCase.</summary>
internal static class Json
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>
    /// What <c>--json</c> prints: indented, and non-ASCII text as is (a Chinese title stays readable instead of becoming
    /// \uXXXX). It goes to a terminal or a pipe, never into HTML, so the relaxed escaping is safe. System.Text.Json still
    /// escapes characters outside the Basic Multilingual Plane (emoji): valid JSON either way.
    /// </summary>
    public static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web) { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
