"""Identity errors. Token failures carry `error` (RFC 6749 §5.2 / RFC 6750 §3.1) beside our
`code`, so OAuth client libraries understand them too."""

from __future__ import annotations

from typing import Any

from backend.errors import AppError, BadRequest, NotAuthenticated, PermissionDenied


class InvalidToken(NotAuthenticated):
    """A bearer token or session that is not (or no longer) valid."""

    code = "token_invalid"
    message_vi = "Phiên đăng nhập không hợp lệ. Vui lòng đăng nhập lại."
    message_en = "The access token is not valid. Please sign in again."

    def __init__(self, detail_vi: str | None = None, detail_en: str | None = None, **kw: Any):
        kw.setdefault("headers", {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        super().__init__(detail_vi, detail_en, **kw)


class TokenExpired(InvalidToken):
    code = "token_expired"
    message_vi = "Phiên đăng nhập đã hết hạn."
    message_en = "The access token has expired."


class TokenNotYetValid(InvalidToken):
    code = "token_not_yet_valid"
    message_vi = "Phiên đăng nhập chưa có hiệu lực (thời điểm phát hành trong tương lai)."
    message_en = "The access token is not valid yet (issued in the future)."


class SessionExpired(InvalidToken):
    code = "session_expired"
    commit = True  # the session is revoked for good
    message_vi = "Phiên làm việc đã hết hạn do không hoạt động. Vui lòng đăng nhập lại."
    message_en = "The session expired after inactivity. Please sign in again."


class CsrfFailed(PermissionDenied):
    code = "csrf_failed"
    message_vi = "Thiếu hoặc sai mã chống giả mạo yêu cầu (CSRF)."
    message_en = "The CSRF token is missing or wrong."


# --- the OAuth token endpoint (RFC 6749 §5.2) ------------------------------------------------


class GrantError(AppError):
    status = 400
    oauth_error = "invalid_grant"

    def __init__(self, detail_vi: str | None = None, detail_en: str | None = None, **kw: Any):
        super().__init__(detail_vi, detail_en, error=self.oauth_error, **kw)


class HandoffCodeInvalid(GrantError):
    code = "handoff_code_invalid"
    message_vi = "Mã đăng nhập không hợp lệ, đã dùng hoặc đã hết hạn."
    message_en = "The sign-in code is invalid, already used or expired."


class HandoffRedirectMismatch(HandoffCodeInvalid):
    code = "handoff_redirect_uri_mismatch"
    commit = True  # the code is spent: a wrong guess must not leave it redeemable
    message_vi = "Địa chỉ chuyển hướng không khớp với lượt đăng nhập; mã đăng nhập đã bị hủy."
    message_en = "The redirect URI does not match the sign-in; the sign-in code is now void."


class PkceMismatch(GrantError):
    code = "pkce_mismatch"
    commit = True  # the code is spent: a wrong verifier must not leave it redeemable
    message_vi = "Mã xác minh PKCE không khớp; mã đăng nhập đã bị hủy."
    message_en = "The PKCE code verifier does not match; the sign-in code is now void."


class RefreshTokenInvalid(GrantError):
    code = "refresh_token_invalid"
    message_vi = "Mã làm mới phiên không hợp lệ hoặc đã hết hạn. Vui lòng đăng nhập lại."
    message_en = "The refresh token is invalid or expired. Please sign in again."


class RefreshTokenReused(GrantError):
    code = "refresh_token_reused"
    commit = True  # the family's revocation must stick
    message_vi = (
        "Mã làm mới phiên đã được dùng trước đó; mọi phiên liên quan đã bị thu hồi để bảo vệ "
        "tài khoản. Vui lòng đăng nhập lại."
    )
    message_en = (
        "The refresh token was already used; every session descending from it has been "
        "revoked to protect the account. Please sign in again."
    )


class UnsupportedGrantType(GrantError):
    code = "unsupported_grant_type"
    oauth_error = "unsupported_grant_type"
    message_vi = "Loại cấp quyền không được hỗ trợ."
    message_en = "The grant type is not supported."


# --- the sign-in flow -------------------------------------------------------------------------


class RedirectUriNotAllowed(BadRequest):
    code = "redirect_uri_not_allowed"
    message_vi = "Địa chỉ chuyển hướng của ứng dụng không được đăng ký."
    message_en = "The app's redirect URI is not registered."


class PkceRequired(BadRequest):
    code = "pkce_required"
    message_vi = "Cần code_challenge theo phương thức S256 (PKCE)."
    message_en = "A code_challenge with method S256 (PKCE) is required."


class LoginStateInvalid(BadRequest):
    code = "login_state_invalid"
    message_vi = "Phiên đăng nhập không hợp lệ hoặc đã hết hạn. Vui lòng thử đăng nhập lại."
    message_en = "The sign-in attempt is unknown or expired. Please try again."


class ProviderError(AppError):
    code = "identity_provider_error"
    status = 502
    message_vi = "Không kết nối được với hệ thống định danh quốc gia. Vui lòng thử lại sau."
    message_en = "The identity provider could not be reached. Please try again later."


class SignInRefused(AppError):
    code = "sign_in_refused"
    status = 401
    message_vi = "Nhà cung cấp định danh từ chối đăng nhập."
    message_en = "The identity provider refused the sign-in."


class AuthorizationResponseIssuerMismatch(SignInRefused):
    """RFC 9207: the authorization response names another issuer, or none although the
    provider says it always does (a mix-up attack, or a response not from our provider)."""

    code = "authorization_response_iss_mismatch"
    status = 400
    message_vi = "Phản hồi đăng nhập không do nhà cung cấp định danh đã cấu hình gửi (iss)."
    message_en = "The authorization response does not come from the configured provider (iss)."


# --- ID token and logout token validation (OIDC Core 3.1.3.7) -------------------------------


class IdTokenError(AppError):
    status = 401
    code = "id_token_invalid"
    message_vi = "Mã định danh (ID token) không hợp lệ."
    message_en = "The ID token is not valid."


class IdTokenExpired(IdTokenError):
    code = "id_token_expired"
    message_vi = "Mã định danh (ID token) đã hết hạn."
    message_en = "The ID token has expired."


class IdTokenBadSignature(IdTokenError):
    code = "id_token_bad_signature"
    message_vi = "Chữ ký của mã định danh (ID token) không hợp lệ."
    message_en = "The ID token's signature is not valid."


class IdTokenUnknownKey(IdTokenError):
    code = "id_token_unknown_key"
    message_vi = "Mã định danh được ký bằng khóa không có trong danh sách khóa của nhà cung cấp."
    message_en = "The ID token is signed with a key the provider does not publish."


class IdTokenAlgorithmRefused(IdTokenError):
    code = "id_token_algorithm_refused"
    message_vi = "Thuật toán ký của mã định danh không được chấp nhận."
    message_en = "The ID token's signing algorithm is not accepted."


class IdTokenWrongIssuer(IdTokenError):
    code = "id_token_wrong_issuer"
    message_vi = "Mã định danh không do nhà cung cấp đã cấu hình phát hành."
    message_en = "The ID token was not issued by the configured provider."


class IdTokenWrongAudience(IdTokenError):
    code = "id_token_wrong_audience"
    message_vi = "Mã định danh không dành cho ứng dụng này."
    message_en = "The ID token is not meant for this application."


class IdTokenNonceMismatch(IdTokenError):
    code = "id_token_nonce_mismatch"
    message_vi = "Mã định danh không thuộc lượt đăng nhập này (nonce không khớp)."
    message_en = "The ID token does not belong to this sign-in (nonce mismatch)."


class IdTokenIssuedInFuture(IdTokenError):
    code = "id_token_not_yet_valid"
    message_vi = "Mã định danh có thời điểm phát hành trong tương lai."
    message_en = "The ID token claims to be issued in the future."


class LogoutTokenInvalid(IdTokenError):
    code = "logout_token_invalid"
    status = 400
    message_vi = "Mã đăng xuất (logout token) không hợp lệ."
    message_en = "The logout token is not valid."


# --- people and roles -------------------------------------------------------------------------


class PersonNotFound(AppError):
    code = "person_not_found"
    status = 404
    message_vi = "Không tìm thấy người dùng."
    message_en = "No such person."


class MembershipRequired(AppError):
    code = "membership_required"
    status = 422
    message_vi = "Vai trò này cần đơn vị: cơ quan (cán bộ) hoặc đơn vị công an (cán bộ công an)."
    message_en = "This role needs a unit: an agency (civil servant) or a police unit (police)."


class AgencyNotFound(AppError):
    code = "agency_not_found"
    status = 422
    message_vi = "Không tìm thấy cơ quan."
    message_en = "No such agency."


class PoliceUnitNotFound(AppError):
    code = "police_unit_not_found"
    status = 422
    message_vi = "Không tìm thấy đơn vị công an."
    message_en = "No such police unit."


class RoleNotGranted(AppError):
    code = "role_not_granted"
    status = 404
    message_vi = "Người dùng không có vai trò này."
    message_en = "The person does not have this role."


class CannotRevokeOwnAdmin(AppError):
    code = "cannot_revoke_own_admin"
    status = 409
    message_vi = "Không thể tự thu hồi quyền quản trị hệ thống của chính mình."
    message_en = "You cannot revoke your own system administrator role."
