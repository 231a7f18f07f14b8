"""The demo province's people: who the development identity provider can sign in, and
(for `seed/`) the roles and units they hold. Fictional names and identification numbers
(the 019 prefix is Thái Nguyên's; the rest is made up)."""

from __future__ import annotations

from datetime import date

import msgspec


class DemoPerson(msgspec.Struct, frozen=True, kw_only=True):
    personal_id: str
    full_name: str
    birth_date: date
    gender: str
    address: str
    roles: tuple[str, ...] = ()
    agency: str | None = None
    police_unit: str | None = None
    communes: tuple[str, ...] = ()
    title: str = ""
    """What the demo picker shows under the name (Vietnamese)."""


class DemoAgency(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str
    commune_code: str | None = None


class DemoPoliceUnit(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str
    communes: tuple[str, ...]


AGENCIES = (
    DemoAgency(code="UBND-TINH", name="Văn phòng UBND tỉnh Thái Nguyên"),
    DemoAgency(code="SO-NOIVU", name="Sở Nội vụ tỉnh Thái Nguyên"),
    DemoAgency(code="SO-VHTTDL", name="Sở Văn hóa, Thể thao và Du lịch"),
    DemoAgency(code="UBND-05443", name="UBND phường Phan Đình Phùng", commune_code="05443"),
    DemoAgency(code="UBND-05569", name="UBND xã Định Hóa", commune_code="05569"),
)

POLICE_UNITS = (
    DemoPoliceUnit(
        code="CA-PDP",
        name="Công an phường Phan Đình Phùng",
        communes=("05443", "05455", "05467"),
    ),
    DemoPoliceUnit(
        code="CA-DH",
        name="Công an xã Định Hóa",
        communes=("05569", "05581", "05587"),
    ),
    # The provincial queue's unit (CTN_TIPS_PROVINCIAL_UNIT): reports no commune unit answers for.
    DemoPoliceUnit(code="CA-TINH", name="Công an tỉnh Thái Nguyên", communes=()),
)

PEOPLE = (
    DemoPerson(
        personal_id="019090001234",
        full_name="Nguyễn Văn An",
        birth_date=date(1990, 3, 12),
        gender="Nam",
        address="Tổ 5, phường Phan Đình Phùng, tỉnh Thái Nguyên",
        title="Công dân",
    ),
    DemoPerson(
        personal_id="019185004321",
        full_name="Trần Thị Bình",
        birth_date=date(1985, 7, 2),
        gender="Nữ",
        address="Xóm Làng Mới, xã Định Hóa, tỉnh Thái Nguyên",
        title="Công dân",
    ),
    DemoPerson(
        personal_id="019072005678",
        full_name="Hoàng Văn Cường",
        birth_date=date(1972, 11, 20),
        gender="Nam",
        address="Xóm Đồng Kết, xã Tân Cương, tỉnh Thái Nguyên",
        title="Công dân (người cao tuổi)",
    ),
    DemoPerson(
        personal_id="019198007777",
        full_name="Lý Thị Dung",
        birth_date=date(1998, 1, 9),
        gender="Nữ",
        address="Tổ 12, phường Quyết Thắng, tỉnh Thái Nguyên",
        title="Công dân",
    ),
    DemoPerson(
        personal_id="019088011111",
        full_name="Phạm Minh Đức",
        birth_date=date(1988, 5, 30),
        gender="Nam",
        address="Phường Gia Sàng, tỉnh Thái Nguyên",
        roles=("civil_servant",),
        agency="SO-NOIVU",
        title="Chuyên viên Sở Nội vụ",
    ),
    DemoPerson(
        personal_id="019191012222",
        full_name="Đỗ Thu Hà",
        birth_date=date(1991, 9, 14),
        gender="Nữ",
        address="Xã Định Hóa, tỉnh Thái Nguyên",
        roles=("civil_servant",),
        agency="UBND-05569",
        title="Công chức UBND xã Định Hóa",
    ),
    DemoPerson(
        personal_id="019087013333",
        full_name="Vũ Quang Huy",
        birth_date=date(1987, 12, 1),
        gender="Nam",
        address="Phường Phan Đình Phùng, tỉnh Thái Nguyên",
        roles=("civil_servant",),
        agency="UBND-05443",
        title="Công chức UBND phường Phan Đình Phùng",
    ),
    DemoPerson(
        personal_id="019086021111",
        full_name="Ngô Đình Khang",
        birth_date=date(1986, 4, 4),
        gender="Nam",
        address="Phường Quan Triều, tỉnh Thái Nguyên",
        roles=("police_officer",),
        police_unit="CA-PDP",
        title="Cán bộ Công an phường Phan Đình Phùng",
    ),
    DemoPerson(
        personal_id="019079022222",
        full_name="Bùi Văn Long",
        birth_date=date(1979, 8, 18),
        gender="Nam",
        address="Phường Phan Đình Phùng, tỉnh Thái Nguyên",
        roles=("police_supervisor",),
        police_unit="CA-PDP",
        title="Trưởng Công an phường Phan Đình Phùng",
    ),
    DemoPerson(
        personal_id="019193023333",
        full_name="Đinh Thị Mai",
        birth_date=date(1993, 2, 25),
        gender="Nữ",
        address="Xã Định Hóa, tỉnh Thái Nguyên",
        roles=("police_officer",),
        police_unit="CA-DH",
        title="Cán bộ Công an xã Định Hóa",
    ),
    DemoPerson(
        personal_id="019081024444",
        full_name="Ma Văn Nam",
        birth_date=date(1981, 6, 6),
        gender="Nam",
        address="Xã Định Hóa, tỉnh Thái Nguyên",
        roles=("police_supervisor",),
        police_unit="CA-DH",
        title="Trưởng Công an xã Định Hóa",
    ),
    DemoPerson(
        personal_id="019189031111",
        full_name="Lê Thị Oanh",
        birth_date=date(1989, 10, 10),
        gender="Nữ",
        address="Phường Túc Duyên cũ, tỉnh Thái Nguyên",
        roles=("comms_officer", "civil_servant"),
        agency="SO-VHTTDL",
        title="Cán bộ truyền thông, Sở VHTTDL",
    ),
    DemoPerson(
        personal_id="019076032222",
        full_name="Trịnh Văn Phúc",
        birth_date=date(1976, 3, 3),
        gender="Nam",
        address="Phường Phan Đình Phùng, tỉnh Thái Nguyên",
        roles=("comms_approver", "civil_servant"),
        agency="UBND-TINH",
        title="Lãnh đạo Văn phòng UBND tỉnh (duyệt tin)",
    ),
    DemoPerson(
        personal_id="019184041111",
        full_name="Hà Thị Quỳnh",
        birth_date=date(1984, 12, 24),
        gender="Nữ",
        address="Xã Định Hóa, tỉnh Thái Nguyên",
        roles=("welfare_officer",),
        communes=("05569", "05581"),
        title="Cán bộ chính sách xã hội (Định Hóa, Trung Hội)",
    ),
    DemoPerson(
        personal_id="019092051111",
        full_name="Nông Văn Sơn",
        birth_date=date(1992, 7, 7),
        gender="Nam",
        address="Phường Gia Sàng, tỉnh Thái Nguyên",
        roles=("course_admin", "civil_servant"),
        agency="SO-NOIVU",
        title="Quản trị khóa học, Sở Nội vụ",
    ),
    DemoPerson(
        personal_id="019180061111",
        full_name="Tạ Thị Thảo",
        birth_date=date(1980, 1, 31),
        gender="Nữ",
        address="Phường Quyết Thắng, tỉnh Thái Nguyên",
        roles=("auditor",),
        title="Kiểm toán viên an ninh thông tin",
    ),
    DemoPerson(
        personal_id="019083071111",
        full_name="Dương Minh Tuấn",
        birth_date=date(1983, 9, 9),
        gender="Nam",
        address="Phường Phan Đình Phùng, tỉnh Thái Nguyên",
        roles=("system_admin",),
        title="Quản trị hệ thống",
    ),
    DemoPerson(
        personal_id="019077025555",
        full_name="Triệu Văn Quân",
        birth_date=date(1977, 5, 19),
        gender="Nam",
        address="Phường Phan Đình Phùng, tỉnh Thái Nguyên",
        roles=("police_supervisor",),
        police_unit="CA-TINH",
        title="Lãnh đạo phòng tiếp nhận tin báo, Công an tỉnh (hàng đợi cấp tỉnh)",
    ),
    DemoPerson(
        personal_id="019195026666",
        full_name="La Thị Ngọc",
        birth_date=date(1995, 10, 3),
        gender="Nữ",
        address="Phường Gia Sàng, tỉnh Thái Nguyên",
        roles=("police_officer",),
        police_unit="CA-TINH",
        title="Cán bộ tiếp nhận tin báo, Công an tỉnh (hàng đợi cấp tỉnh)",
    ),
)

BY_PERSONAL_ID = {person.personal_id: person for person in PEOPLE}
