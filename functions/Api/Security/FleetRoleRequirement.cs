using Microsoft.AspNetCore.Authorization;

namespace LdFleet.Functions.Api.Security;

/// <summary>The caller holds one of <see cref="Roles"/> in its <c>roles</c> claim.</summary>
internal sealed class FleetRoleRequirement : AuthorizationHandler<FleetRoleRequirement>, IAuthorizationRequirement
{
    public FleetRoleRequirement(string role)
    {
        Role = role;
        Roles = FleetRoles.Satisfying(role);
    }

    public string Role { get; }

    public IReadOnlyList<string> Roles { get; }

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, FleetRoleRequirement requirement)
    {
        // Matches the raw "roles" claim and the mapped role claim type alike, so the check does not depend on
        // how a bearer handler maps inbound claims.
        if (FleetCaller.RolesOf(context.User).Any(requirement.Roles.Contains))
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}
