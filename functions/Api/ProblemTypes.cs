namespace LdFleet.Functions;

/// <summary>Stable RFC 7807 problem types: clients switch on these, never on titles or details.</summary>
internal static class ProblemTypes
{
    private const string Base = "https://ldfleet.dev/problems/";

    /// <summary>A request field is invalid; <c>errors</c> maps each field name to what is wrong with it.</summary>
    public const string Validation = Base + "validation";

    /// <summary>The request could not be read at all (malformed HTTP-level input).</summary>
    public const string BadRequest = Base + "bad-request";

    /// <summary>No valid bearer token.</summary>
    public const string Unauthorized = Base + "unauthorized";

    /// <summary>The token lacks the role this endpoint needs.</summary>
    public const string Forbidden = Base + "forbidden";

    public const string NotFound = Base + "not-found";

    public const string MethodNotAllowed = Base + "method-not-allowed";

    /// <summary>The resource exists already or changed in between.</summary>
    public const string Conflict = Base + "conflict";

    /// <summary>A request with this Idempotency-Key is still being processed.</summary>
    public const string IdempotencyInProgress = Base + "idempotency-in-progress";

    /// <summary>The Idempotency-Key was used before with a different request.</summary>
    public const string IdempotencyKeyReused = Base + "idempotency-key-reused";

    public const string PayloadTooLarge = Base + "payload-too-large";

    public const string UnsupportedMediaType = Base + "unsupported-media-type";

    public const string NotAcceptable = Base + "not-acceptable";

    /// <summary>Too many requests from this caller; wait for Retry-After seconds.</summary>
    public const string RateLimited = Base + "rate-limited";

    /// <summary>A dependency (storage, broker) is unavailable; retrying later may work.</summary>
    public const string Unavailable = Base + "unavailable";

    public const string Unexpected = Base + "unexpected";

    /// <summary>The stable type for a status code the framework produced without one.</summary>
    public static string ForStatus(int status) => status switch
    {
        StatusCodes.Status400BadRequest => BadRequest,
        StatusCodes.Status401Unauthorized => Unauthorized,
        StatusCodes.Status403Forbidden => Forbidden,
        StatusCodes.Status404NotFound => NotFound,
        StatusCodes.Status405MethodNotAllowed => MethodNotAllowed,
        StatusCodes.Status406NotAcceptable => NotAcceptable,
        StatusCodes.Status409Conflict => Conflict,
        StatusCodes.Status413PayloadTooLarge => PayloadTooLarge,
        StatusCodes.Status415UnsupportedMediaType => UnsupportedMediaType,
        StatusCodes.Status429TooManyRequests => RateLimited,
        StatusCodes.Status503ServiceUnavailable => Unavailable,
        >= 500 => Unexpected,
        _ => BadRequest,
    };
}
