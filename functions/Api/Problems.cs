using Microsoft.AspNetCore.Http.HttpResults;

namespace LdFleet.Functions.Api;

/// <summary>Field errors gathered while checking a request, reported all at once.</summary>
internal sealed class FieldErrors
{
    private readonly Dictionary<string, string[]> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    /// <summary>Records <paramref name="error"/> for <paramref name="field"/> unless it is null.</summary>
    public FieldErrors Check(string field, string? error)
    {
        if (error is not null)
        {
            Add(field, error);
        }

        return this;
    }

    public FieldErrors Add(string field, string error)
    {
        _errors[field] = _errors.TryGetValue(field, out var existing) ? [.. existing, error] : [error];
        return this;
    }

    public ProblemHttpResult ToProblem() => Problems.Validation(_errors);
}

/// <summary>The API's problem+json answers, each with its stable type.</summary>
internal static class Problems
{
    /// <summary>A 400 whose <c>errors</c> member maps each invalid field to what is wrong with it.</summary>
    public static ProblemHttpResult Validation(IDictionary<string, string[]> errors) =>
        TypedResults.Problem(new HttpValidationProblemDetails(errors)
        {
            Status = StatusCodes.Status400BadRequest,
            Title = "The request has invalid fields.",
            Type = ProblemTypes.Validation,
        });

    public static ProblemHttpResult Validation(string field, string error) =>
        Validation(new Dictionary<string, string[]>(StringComparer.Ordinal) { [field] = [error] });

    public static ProblemHttpResult NotFound(string title, string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: title, detail: detail, type: ProblemTypes.NotFound);

    public static ProblemHttpResult Conflict(string title, string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: title, detail: detail, type: ProblemTypes.Conflict);

    public static ProblemHttpResult Status(int status, string type, string title, string? detail = null) =>
        TypedResults.Problem(statusCode: status, title: title, detail: detail, type: type);
}
